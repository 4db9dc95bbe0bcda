/**
 * The uint64 deq_scale of AscendDequant (SPEC §6):
 *   bits 0–31  float32 bits of scale_d·scale_w[c] (the product is taken in float32, as
 *              the Ascend toolchain does; f32 (Math.fround) mirrors that)
 *   bits 32–39 shift_n (0 unless shift_bit is used)
 *   bits 40–47 offset_w as uint8 (two's complement of the int8 offset; always 0 today)
 * Bits 48–63 stay 0.
 */
import { QuantizeError } from '../errors';
import { f32, float32Bits, float32FromBits } from './round';

export interface DeqScaleFields {
  /** The float32 scale from bits 0–31. */
  scale: number;
  /** shift_n from bits 32–39. */
  shiftN: number;
  /** offset_w from bits 40–47, read back as a signed int8. */
  offsetW: number;
}

function pick(v: number | ArrayLike<number>, c: number, n: number, what: string): number {
  if (typeof v === 'number') return v;
  if (v.length === 1) return v[0];
  if (v.length !== n) throw new QuantizeError('INVALID_ARGUMENT', `${what} has ${v.length} values; expected 1 or ${n}`, { hint: 'the record does not fit this layer; regenerate it with the calibration (or fix it by hand for convert_model)' });
  return v[c];
}

function checkField(value: number, lo: number, hi: number, what: string): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new QuantizeError('INVALID_ARGUMENT', `${what} = ${value} must be an integer in [${lo}, ${hi}]`, { hint: 'the record does not fit this layer; regenerate it with the calibration (or fix it by hand for convert_model)' });
  }
}

/** Packs one deq_scale per entry of scaleW; shiftN/offsetW may be scalars or per channel. */
export function packDeqScale(
  scaleD: number,
  scaleW: Float32Array,
  shiftN: number | ArrayLike<number> = 0,
  offsetW: number | ArrayLike<number> = 0,
): BigUint64Array {
  const n = scaleW.length;
  const out = new BigUint64Array(n);
  for (let c = 0; c < n; c++) {
    const product = f32(scaleD * scaleW[c]);
    if (!(product > 0) || !Number.isFinite(product)) {
      throw new QuantizeError('INVALID_ARGUMENT', `deq_scale[${c}] = scale_d·scale_w = ${product} must be finite and > 0`, { hint: 'scale_d or scale_w is so small or large that their product leaves float32; check the record' });
    }
    const shift = pick(shiftN, c, n, 'shift_n');
    const offset = pick(offsetW, c, n, 'offset_w');
    checkField(shift, 0, 255, 'shift_n');
    checkField(offset, -128, 127, 'offset_w');
    out[c] = BigInt(float32Bits(product)) | (BigInt(shift) << 32n) | (BigInt(offset & 0xff) << 40n);
  }
  return out;
}

export function unpackDeqScale(v: bigint): DeqScaleFields {
  const scale = float32FromBits(Number(v & 0xffffffffn));
  const shiftN = Number((v >> 32n) & 0xffn);
  const raw = Number((v >> 40n) & 0xffn);
  return { scale, shiftN, offsetW: raw >= 128 ? raw - 256 : raw };
}
