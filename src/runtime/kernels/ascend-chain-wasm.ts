/**
 * The chain pass of ascend-chain-loop.ts as a WebAssembly function, one value at a time,
 * assembled here from its opcodes (src/wasm/assembler.ts: no toolchain, no binary file shipped). It runs the chains
 * and inputs the SIMD pass (ascend-chain-simd.ts) does not take: shifts N > 0, pooling k > 1,
 * NaN, accumulators beyond int32. Why not the JavaScript loop: it branches on every clamp and
 * Relu, and on conv outputs those branches go either way at random (~20–30 ns per value
 * measured on the 2 shared cores, against ~5–10 ns here, where the clamps are selects).
 *
 * The arithmetic is the reference's (src/quant/ascend.ts) literally, in float64 rounded to
 * float32 after each step exactly where the reference calls f32 (f32.demote_f64 rounds to
 * nearest even, as Math.fround does), so it is bit-exact with it:
 *   v = f32(x + bias[c])                                       BiasAdd
 *   d = f32(v·k); d = N > 0 ? clamp(floor(d / 2^N) + 0, ±2^15) : clamp(d, int32)
 *   v = f32(f32(f32(d·scale[c])·2^N) / k)                      AscendDequant
 *   v = max(v, 0) | min(max(v, 0), 6) [NaN → 0 on wasm]        Relu | Relu6
 *   t = f32(v·s); v = clamp(copysign(floor(|t| + 0.5), t), lo, hi) + 0   AscendQuant
 *   v = f32(v·s')                                              AscendAntiQuant
 * (floor(|t| + 0.5) is round half away from zero exactly: |t| + 0.5 is exact in float64 for
 * every float32 below 2^24, and larger ones are even integers. "+ 0" turns −0 into 0, as the
 * reference's floor and rounding do; f64.min/max keep NaN, as the reference's clamp does.)
 *
 * The function reads and writes a memory it imports: on the wasm backend the backend's
 * own heap (no copy), elsewhere a memory of its own.
 */

import { F32, f32c, F64, f64c, f64load, get, I32, i32c, moduleBytes, OP, SAT, sat, set, VOID } from '../../wasm/assembler';
import { compileOnce, instantiate } from '../../wasm/host';
import type { WasmMemory } from '../../wasm/host';

/** Flags of `chain`: which steps run. */
export const STEP = { bias: 1, dequant: 2, relu: 4, relu6: 8, relu6NaNToZero: 16, quant: 32, antiQuant: 64, sum: 128, sumAntiA: 256, sumAntiB: 512 } as const;

/** Bytes per channel in the parameter block: bias, scale, 2^N as float64. */
export const PARAM_BYTES = 24;

export type ChainFn = (x: number, y: number, n: number, channels: number, params: number, flags: number, k: number, quantScale: number, lo: number, hi: number, antiScale: number) => void;

// Parameters and locals of `chain`, by index.
const [X, Y, N, CH, PARAMS, FLAGS, K, QS, LO, HI, AS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const [I, C, V, D, P, P2, BITS, LOI, HII, Q] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

/** if (flags & bit) { body } */
const when = (bit: number, body: number[]) => [...get(FLAGS), ...i32c(bit), OP.i32and, OP.if, VOID, ...body, OP.end];

/** q = min(max(q, lo), hi) on int32, as selects (cmov): no branch to mispredict. */
const clampQ = (lo: number[], hi: number[]) => [...lo, ...get(Q), ...get(Q), ...lo, OP.i32lts, OP.select, ...set(Q), ...hi, ...get(Q), ...get(Q), ...hi, OP.i32gts, OP.select, ...set(Q)];

/** The reference's steps with f64.min/max, which keep NaN (V8 compiles them to branches): for NaN inputs. */
function exactSteps(): number[] {
  const bias = [...get(V), OP.promote, ...get(P), ...f64load(0), OP.f64add, OP.demote, ...set(V)];
  const dequant = [
    ...get(V), OP.promote, ...get(K), OP.f64mul, OP.demote, OP.promote, ...set(D),
    ...get(P), ...f64load(16), ...set(P2),
    // select(int16 path, int32 path, 2^N != 1)
    ...get(D), ...get(P2), OP.f64div, OP.f64floor, ...f64c(0), OP.f64add, ...f64c(-32768), OP.f64max, ...f64c(32767), OP.f64min,
    ...get(D), ...f64c(-2147483648), OP.f64max, ...f64c(2147483647), OP.f64min,
    ...get(P2), ...f64c(1), OP.f64ne, OP.select, ...set(D),
    ...dequantScale,
  ];
  const relu = [...get(V), ...f32c(0), OP.f32max, ...set(V)];
  const relu6 = [...get(V), ...f32c(0), OP.f32max, ...f32c(6), OP.f32min, ...set(V)];
  const nanToZero = [...get(V), ...f32c(0), ...get(V), ...get(V), OP.f32eq, OP.select, ...set(V)];
  const quant = [
    ...get(V), ...get(QS), OP.f32mul, OP.promote, ...set(D),
    ...get(D), OP.f64abs, ...f64c(0.5), OP.f64add, OP.f64floor, ...get(D), OP.f64copysign,
    ...get(LO), OP.f64max, ...get(HI), OP.f64min, ...f64c(0), OP.f64add, OP.demote, ...set(V),
  ];
  return [
    ...when(STEP.bias, bias), ...when(STEP.dequant, dequant), ...when(STEP.relu, relu), ...when(STEP.relu6, relu6),
    ...when(STEP.relu6NaNToZero, nanToZero), ...when(STEP.quant, quant), ...when(STEP.antiQuant, antiQuant),
  ];
}

/** v = f32(f32(f32(d·scale[c])·2^N) / k): shared by both paths. */
const dequantScale = [
  ...get(D), ...get(P), ...f64load(8), OP.f64mul, OP.demote, OP.promote,
  ...get(P2), OP.f64mul, OP.demote, OP.promote, ...get(K), OP.f64div, OP.demote, ...set(V),
];
const antiQuant = [...get(V), ...get(AS), OP.f32mul, ...set(V)];

/**
 * The same steps for inputs that are not NaN (no step then makes a NaN: the scales are
 * finite and positive, the bias finite), with the clamps that go either way on int32
 * selects: through i32.trunc_sat of values already floored or rounded, or on the bits of a
 * float32 (for x ≥ 0 its bits order as it does; sign bit set means ≤ −0, which Relu makes 0).
 * The int32 clamp of the dequant stays on f64.max/min: on real data it never fires, so its
 * branch is always predicted.
 */
function fastSteps(): number[] {
  // Parameters are loaded off the value's dependency chain; float32 ops where one float32
  // operation is the reference's double operation rounded once (+ and · of two float32).
  const bias = [...get(V), ...get(P), ...f64load(0), OP.demote, OP.f32add, ...set(V)];
  const int16Path = [
    ...get(D), ...get(P2), OP.f64div, OP.f64floor, ...sat(SAT.i32truncF64s), ...set(Q),
    ...clampQ(i32c(-32768), i32c(32767)), ...get(Q), OP.f64fromI32, ...set(D),
  ];
  const int32Path = [...get(D), ...f64c(-2147483648), OP.f64max, ...f64c(2147483647), OP.f64min, ...set(D)];
  const anyDequant = [
    ...get(V), OP.promote, ...get(K), OP.f64mul, OP.demote, OP.promote, ...set(D),
    ...get(P2), ...f64c(1), OP.f64ne, OP.if, VOID, ...int16Path, OP.else, ...int32Path, OP.end,
    ...dequantScale,
  ];
  // k = 1, N = 0 and |v| < 2^31 (every conv, on real data): v = f32(v·d), one float32 product.
  const plain = [
    ...get(K), ...f64c(1), OP.f64eq, ...get(P2), ...f64c(1), OP.f64eq, OP.i32and,
    ...get(V), OP.f32abs, ...f32c(2147483648), OP.f32lt, OP.i32and,
  ];
  const dequant = [
    ...get(P), ...f64load(16), ...set(P2),
    ...plain, OP.if, VOID, ...get(V), ...get(P), ...f64load(8), OP.demote, OP.f32mul, ...set(V), OP.else, ...anyDequant, OP.end,
  ];
  const positive = [...i32c(0), ...get(BITS), ...get(BITS), ...i32c(0), OP.i32lts, OP.select, ...set(BITS)];
  const relu = [...get(V), OP.i32bits, ...set(BITS), ...positive, ...get(BITS), OP.f32bits, ...set(V)];
  const six = i32c(0x40c00000);
  const relu6 = [
    ...get(V), OP.i32bits, ...set(BITS), ...positive,
    ...six, ...get(BITS), ...get(BITS), ...six, OP.i32gts, OP.select, OP.f32bits, ...set(V),
  ];
  // round half away from zero = trunc(t + copysign(0.5, t)), exact in float64 (see above).
  const quant = [
    ...get(V), ...get(QS), OP.f32mul, OP.promote, ...set(D),
    ...f64c(0.5), ...get(D), OP.f64copysign, ...get(D), OP.f64add, ...sat(SAT.i32truncF64s), ...set(Q),
    ...clampQ(get(LOI), get(HII)), ...get(Q), OP.f32fromI32, ...set(V),
  ];
  return [
    ...when(STEP.bias, bias), ...when(STEP.dequant, dequant), ...when(STEP.relu, relu), ...when(STEP.relu6, relu6),
    ...when(STEP.quant, quant), ...when(STEP.antiQuant, antiQuant),
  ];
}

function body(): number[] {
  const element = [
    ...get(X), ...get(I), ...i32c(2), OP.i32shl, OP.i32add, OP.f32load, 2, 0, ...set(V),
    ...get(PARAMS), ...get(C), ...i32c(PARAM_BYTES), OP.i32mul, OP.i32add, ...set(P),
    ...get(V), ...get(V), OP.f32eq, OP.if, VOID, ...fastSteps(), OP.else, ...exactSteps(), OP.end,
    ...get(Y), ...get(I), ...i32c(2), OP.i32shl, OP.i32add, ...get(V), OP.f32store, 2, 0,
    // c = c + 1 == channels ? 0 : c + 1
    ...i32c(0), ...get(C), ...i32c(1), OP.i32add, OP.tee, C, ...get(C), ...get(CH), OP.i32eq, OP.select, ...set(C),
    ...get(I), ...i32c(1), OP.i32add, OP.tee, I, ...get(N), OP.i32ltu, OP.brIf, 0,
  ];
  const bounds = [...get(LO), ...sat(SAT.i32truncF64s), ...set(LOI), ...get(HI), ...sat(SAT.i32truncF64s), ...set(HII)];
  return [...bounds, OP.block, VOID, ...get(N), OP.i32eqz, OP.brIf, 0, OP.loop, VOID, ...element, OP.end, OP.end, OP.end];
}

function scalarModuleBytes(): Uint8Array {
  // locals: i, c (i32); v (f32); d (f64); p (i32); p2 (f64); bits, loi, hii, q (i32)
  const params = [I32, I32, I32, I32, I32, I32, F64, F32, F64, F64, F32];
  return moduleBytes([{ name: 'chain', params, results: [], locals: [6, 2, I32, 1, F32, 1, F64, 1, I32, 1, F64, 4, I32], code: body() }]);
}

const scalarModule = compileOnce(scalarModuleBytes);

/** `chain` working on `memory`, or undefined where WebAssembly is not available (the JavaScript loop runs instead). */
export function chainOn(memory: WasmMemory): ChainFn | undefined {
  const module = scalarModule();
  return module ? (instantiate(module, memory)?.chain as ChainFn | undefined) : undefined;
}
