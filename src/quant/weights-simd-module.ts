/**
 * The weight quantization of weights.ts on WebAssembly SIMD, as module bytes. Two
 * functions, both exact against the JavaScript loop (quantizeWeightsLoop):
 *
 *   tiled(src, dst, n, tile, tileBytes, at, lo, hi)
 *     dst[i] = q(src[i] / tile[(at/4 + i) mod tileBytes/4]) for i < n, sixteen at a time
 *     (n a multiple of 16, tileBytes and at of 64): the scale of every weight read from a
 *     tile that repeats with the layout's period.
 *   blocks(src, dst, count, inner, scales, channels, c, lo, hi)
 *     `count` blocks of `inner` ≥ 4 weights, block k scaled by scales[(c + k) mod channels]
 *     (splatted), four at a time; when inner is not a multiple of 4 the block's last four
 *     are done again, overlapping (same values, same results: no scalar tail).
 *
 * Pointers are byte offsets into the imported memory; src holds float32, dst int8.
 *
 * q(x) for x = w / s by f32x4.div, IEEE division correctly rounded to float32 (the loop
 * divides in float64 and rounds to float32: the same number, float64 having more than
 * 2·24 + 2 bits):
 *   x = x == x ? x : 0                  NaN → 0, as the loop's Int8Array store makes it
 *   v = pmin(pmax(x, lo), hi)           the loop's clamps (±Inf → the bounds)
 *   m = trunc(v + copysign(BELOW_HALF, v))   round half away from zero: in float32 this is
 *                                       ±floor(|v| + BELOW_HALF), exact (round.ts); not 0.5:
 *                                       0.49999997 + 0.5 rounds to 1
 *   r = bits(m + 1.5·2^23) − bits(1.5·2^23)    m as an int32: exact for |m| ≤ 2^22
 * (−0 gives 0.) lo and hi are integers within int8 (numBits ≤ 8), so the saturating narrows
 * int32 → int16 → int8 are exact.
 */
import { F32, f32c, get, I32, i32c, mem, OP, set, SIMD, simd, splat, tee, V128, VOID } from '../wasm/assembler';
import type { WasmFunction } from '../wasm/assembler';
import { BELOW_HALF } from './round';

const { block: BLOCK, loop: LOOP, end: END, brIf: BR_IF, select: SELECT, i32eqz: I32EQZ, i32eq: I32EQ, i32lts: I32LTS, i32ltu: I32LTU } = OP;
const { i32add: I32ADD, i32sub: I32SUB, i32shl: I32SHL } = OP;

/** v128.store32_lane of lane 0: four int8 results. */
const store4 = [...simd(SIMD.store32lane), 2, 0, 0];

/** 1.5·2^23: adding it to an integer-valued float32 below 2^22 in magnitude leaves the integer in the low bits. */
const MAGIC = 12582912;

/** The v128 locals of the quantization (each function places them after its own). */
interface QuantLocals {
  lo: number;
  hi: number;
  belowHalf: number;
  sign: number;
  magic: number;
  v: number;
}

const quantLocals = (first: number): QuantLocals => ({ lo: first, hi: first + 1, belowHalf: first + 2, sign: first + 3, magic: first + 4, v: first + 5 });
const QUANT_LOCALS = 6;

/** Quotients on the stack → their four int32 results (see the file comment). */
function quantize(l: QuantLocals): number[] {
  return [
    ...tee(l.v), ...get(l.v), ...get(l.v), ...simd(SIMD.f32eq), ...simd(SIMD.and),
    ...get(l.lo), ...simd(SIMD.f32pmax), ...get(l.hi), ...simd(SIMD.f32pmin), ...tee(l.v),
    ...get(l.v), ...get(l.sign), ...simd(SIMD.and), ...get(l.belowHalf), ...simd(SIMD.or), ...simd(SIMD.f32add), ...simd(SIMD.f32trunc),
    ...get(l.magic), ...simd(SIMD.f32add), ...get(l.magic), ...simd(SIMD.i32sub),
  ];
}

/** Splats lo and hi (f32 parameters) and the constants into their locals. */
function setup(l: QuantLocals, lo: number, hi: number): number[] {
  return [
    ...splat(get(lo), l.lo), ...splat(get(hi), l.hi), ...splat(f32c(BELOW_HALF), l.belowHalf),
    ...splat(f32c(-0), l.sign), ...splat(f32c(MAGIC), l.magic),
  ];
}

function tiled(): WasmFunction {
  const [SRC, DST, N, TILE, TILE_BYTES, AT, LO, HI] = [0, 1, 2, 3, 4, 5, 6, 7];
  const DST_END = 8;
  const l = quantLocals(9);
  /** The quotients of vector u (of four) of the sixteen: src + 16u over tile + at + 16u. */
  const quotient = (u: number) => [
    ...get(SRC), ...mem(SIMD.load, 16 * u), ...get(TILE), ...get(AT), I32ADD, ...mem(SIMD.load, 16 * u), ...simd(SIMD.f32div),
  ];
  const sixteen = [
    ...get(DST),
    ...quotient(0), ...quantize(l), ...quotient(1), ...quantize(l), ...simd(SIMD.i16narrowI32s),
    ...quotient(2), ...quantize(l), ...quotient(3), ...quantize(l), ...simd(SIMD.i16narrowI32s),
    ...simd(SIMD.i8narrowI16s), ...mem(SIMD.store),
    ...get(SRC), ...i32c(64), I32ADD, ...set(SRC),
    // at = at + 64 == tileBytes ? 0 : at + 64
    ...i32c(0), ...get(AT), ...i32c(64), I32ADD, ...tee(AT), ...get(AT), ...get(TILE_BYTES), I32EQ, SELECT, ...set(AT),
    ...get(DST), ...i32c(16), I32ADD, ...tee(DST), ...get(DST_END), I32LTU, BR_IF, 0,
  ];
  const code = [
    ...setup(l, LO, HI), ...get(DST), ...get(N), I32ADD, ...set(DST_END),
    BLOCK, VOID, ...get(N), I32EQZ, BR_IF, 0, LOOP, VOID, ...sixteen, END, END, END,
  ];
  return { name: 'tiled', params: [I32, I32, I32, I32, I32, I32, F32, F32], results: [], locals: [2, 1, I32, QUANT_LOCALS, V128], code };
}

function blocks(): WasmFunction {
  const [SRC, DST, COUNT, INNER, SCALES, CHANNELS, C, LO, HI] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [J, AT, LAST] = [9, 10, 11]; // j: the next four of the block; at = min(j, last), last = inner − 4
  const l = quantLocals(12);
  const [SCALE, T] = [12 + QUANT_LOCALS, 13 + QUANT_LOCALS];
  const four = [
    ...get(J), ...get(LAST), ...get(J), ...get(LAST), I32LTS, SELECT, ...set(AT),
    ...get(DST), ...get(AT), I32ADD,
    ...get(SRC), ...get(AT), ...i32c(2), I32SHL, I32ADD, ...mem(SIMD.load), ...get(SCALE), ...simd(SIMD.f32div),
    ...quantize(l), ...tee(T), ...get(T), ...simd(SIMD.i16narrowI32s), ...tee(T), ...get(T), ...simd(SIMD.i8narrowI16s), ...store4,
    ...get(J), ...i32c(4), I32ADD, ...tee(J), ...get(INNER), I32LTS, BR_IF, 0,
  ];
  const block = [
    ...get(SCALES), ...get(C), ...i32c(2), I32SHL, I32ADD, OP.f32load, 2, 0, ...simd(SIMD.f32splat), ...set(SCALE),
    ...i32c(0), ...set(J), LOOP, VOID, ...four, END,
    ...get(SRC), ...get(INNER), ...i32c(2), I32SHL, I32ADD, ...set(SRC),
    ...get(DST), ...get(INNER), I32ADD, ...set(DST),
    // c = c + 1 == channels ? 0 : c + 1
    ...i32c(0), ...get(C), ...i32c(1), I32ADD, ...tee(C), ...get(C), ...get(CHANNELS), I32EQ, SELECT, ...set(C),
    ...get(COUNT), ...i32c(1), I32SUB, ...tee(COUNT), BR_IF, 0,
  ];
  const code = [
    ...setup(l, LO, HI), ...get(INNER), ...i32c(4), I32SUB, ...set(LAST),
    BLOCK, VOID, ...get(COUNT), I32EQZ, BR_IF, 0, LOOP, VOID, ...block, END, END, END,
  ];
  return { name: 'blocks', params: [I32, I32, I32, I32, I32, I32, I32, F32, F32], results: [], locals: [2, 3, I32, QUANT_LOCALS + 2, V128], code };
}

export type TiledFn = (src: number, dst: number, n: number, tile: number, tileBytes: number, at: number, lo: number, hi: number) => void;
export type BlocksFn = (src: number, dst: number, count: number, inner: number, scales: number, channels: number, c: number, lo: number, hi: number) => void;

/** The functions of the module, in its export order. */
export function weightKernels(): WasmFunction[] {
  return [tiled(), blocks()];
}
