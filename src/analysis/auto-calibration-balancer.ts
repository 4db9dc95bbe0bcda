/**
 * The DMQ balancer step of accuracyBasedAutoCalibration (ours, not AMCT's; SPEC §10):
 * before leaving layers in float, try to keep them INT8 with their input balanced.
 *
 *   one extra calibration with dmq_balancer_param α on every candidate with weights (no
 *   evaluation) → the isolated sensitivity of each layer balanced, on the same captured
 *   batches → keep the balancer on the layers where it lowers the isolated error
 *   (1 − cosine) by at least BALANCER_GAIN → one evaluation of that model.
 *
 * Accepted: no layer needs to stay float. Rejected: the float search runs as before, with
 * the balancer kept on the chosen layers that stay INT8 and the ranking of what each
 * layer then is (balanced or not). Costs one evaluation (so BinarySearch stays within
 * ⌈log2 L⌉ + 3), one calibration and one ranking pass. Pure decisions here; the run
 * lives in auto-calibration.ts.
 */
import { MIGRATION_STRENGTH_RANGE } from '../calib';
import { AutoCalibrationError } from '../errors';
import { compareSensitivity } from './metrics';
import type { LayerSensitivity } from './sensitivity';

/** `false` turns the step off; `true` or `{ migrationStrength }` (α, default 0.5) turns it on. */
export type BalancerOption = boolean | { migrationStrength?: number };

export const DEFAULT_MIGRATION_STRENGTH = 0.5;

/**
 * The balancer must cut a layer's isolated error 1 − cosine by this fraction to be kept:
 * a layer it barely changes is left as the user configured it.
 */
export const BALANCER_GAIN = 0.1;

/** α to try, or undefined when the step is off. */
export function checkBalancerOption(option: unknown): number | undefined {
  if (option === undefined || option === true) return DEFAULT_MIGRATION_STRENGTH;
  if (option === false) return undefined;
  const alpha = option !== null && typeof option === 'object' ? (option as { migrationStrength?: unknown }).migrationStrength ?? DEFAULT_MIGRATION_STRENGTH : undefined;
  const [lo, hi] = MIGRATION_STRENGTH_RANGE;
  if (typeof alpha !== 'number' || !(alpha >= lo && alpha <= hi)) {
    throw new AutoCalibrationError('INVALID_ARGUMENT', `balancer must be true, false or { migrationStrength } with migrationStrength in [${lo}, ${hi}], got ${JSON.stringify(option)}`, {
      field: 'balancer',
      hint: 'e.g. { balancer: { migrationStrength: 0.5 } }, or { balancer: false } to go straight to the float search as AMCT does',
    });
  }
  return alpha;
}

/** Sets dmq_balancer_param α on `layers` of `config` (the trial's own copy), in place. */
export function configWithBalancer(config: Record<string, unknown>, layers: readonly string[], alpha: number): void {
  const c = config as Record<string, Record<string, unknown>>;
  for (const layer of layers) c[layer] = { ...c[layer], dmq_balancer_param: alpha };
}

const distance = (l: LayerSensitivity) => 1 - l.isolated.cosine;

export interface BalancerChoice {
  /** Layers to balance, in `plain` ranking order. */
  layers: string[];
  /** Every candidate as it will be quantized (balanced or not), most sensitive first. */
  ranking: LayerSensitivity[];
}

/**
 * Per layer, the balanced measurement where it beats the plain one by BALANCER_GAIN
 * (`balanced` holds only layers that can be balanced).
 */
export function chooseBalanced(plain: readonly LayerSensitivity[], balanced: readonly LayerSensitivity[]): BalancerChoice {
  const byLayer = new Map(balanced.map((b) => [b.layer, b]));
  const layers: string[] = [];
  const ranking = plain.map((p) => {
    const b = byLayer.get(p.layer);
    if (!b || !Number.isFinite(b.isolated.cosine) || !Number.isFinite(p.isolated.cosine)) return p;
    if (distance(b) >= (1 - BALANCER_GAIN) * distance(p)) return p;
    layers.push(p.layer);
    return b;
  });
  return { layers, ranking: ranking.sort((a, b) => compareSensitivity(a.isolated, b.isolated)) };
}
