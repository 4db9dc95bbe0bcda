/** Seeded samplers for calibration tests: reproducible activations of known shape. */

export type Sampler = () => number;

export { rng } from '../helpers/random';

export function gaussian(u: Sampler): Sampler {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export function laplace(u: Sampler): Sampler {
  return () => {
    const v = u() - 0.5;
    return -Math.sign(v) * Math.log(1 - 2 * Math.abs(v));
  };
}

/** Activations shaped like real layers' inputs. */
export function activation(kind: string, u: Sampler): Sampler {
  const g = gaussian(u);
  const l = laplace(u);
  switch (kind) {
    case 'relu':
      return () => Math.max(0, 1.5 * g() + 0.2);
    case 'relu6':
      return () => Math.min(6, Math.max(0, 2.5 * g() + 1.5));
    case 'gaussian':
      return () => 0.8 * g() + 0.1;
    case 'laplace':
      return () => 0.7 * l();
    case 'mixture':
      return () => (u() < 0.75 ? 0.4 * g() - 1 : 1.8 * g() + 3);
    default:
      throw new Error(`unknown distribution ${kind}`);
  }
}

export function sample(s: Sampler, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = s();
  return a;
}

/** Batches of the given sizes from one sampler. */
export function batches(s: Sampler, sizes: readonly number[]): Float32Array[] {
  return sizes.map((n) => sample(s, n));
}
