/** .npy calibration data: small arrays of each supported dtype, mutated as bytes and in their header text. */
import { encodeNpy, readNpy } from '../../src/data/npy';
import type { NpyArray } from '../../src/data/npy';
import { withInputs } from '../inputs';
import { BYTE_MUTATIONS, TEXT_MUTATIONS } from '../mutate';
import { int, pick } from '../rng';
import type { FuzzTarget } from '../target';

const SEEDS: NpyArray[] = [
  { dtype: 'float32', shape: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => i / 7) },
  { dtype: 'uint8', shape: [1, 28, 28, 1], data: Uint8Array.from({ length: 784 }, (_, i) => i % 256) },
  { dtype: 'int64', shape: [3], data: BigInt64Array.from([1n, -2n, 3n]) },
  { dtype: 'float64', shape: [], data: Float64Array.from([Math.PI]) },
  { dtype: 'bool', shape: [4], data: Uint8Array.from([1, 0, 1, 1]) },
];

/** Mutates the header's dict text (shape, descr, fortran_order) and keeps the data. */
function mutateHeader(bytes: Uint8Array, rand: () => number): Uint8Array {
  const headerLen = bytes[8] | (bytes[9] << 8);
  const header = Buffer.from(bytes.subarray(10, 10 + headerLen)).toString('latin1');
  const text = pick(rand, Object.values(TEXT_MUTATIONS))(header, rand);
  const body = Buffer.from(text, 'latin1');
  const len = Buffer.alloc(2);
  len.writeUInt16LE(Math.min(body.length, 0xffff));
  return new Uint8Array(Buffer.concat([bytes.subarray(0, 8), len, body, bytes.subarray(10 + headerLen)]));
}

export const npyTarget: FuzzTarget = {
  name: 'npy',
  async runCase(rand, _index, dir) {
    const seed = encodeNpy(pick(rand, SEEDS));
    const bytes = int(rand, 2) === 0 ? mutateHeader(seed, rand) : pick(rand, Object.values(BYTE_MUTATIONS))(seed, rand);
    await withInputs(dir, { 'data.npy': bytes }, async ({ 'data.npy': file }) => {
      await readNpy(file);
    });
  },
};
