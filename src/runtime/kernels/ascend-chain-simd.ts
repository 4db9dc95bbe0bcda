/**
 * The chain pass four values at a time (WebAssembly SIMD), for the common case: a dequant
 * with k = 1 and N = 0 on every channel (or no dequant), inputs that
 * are not NaN and below 2^31 in magnitude where they are dequantized. The scalar pass
 * (ascend-chain-wasm.ts) is ~25 cycles of dependent latency per value; the tfjs ops it
 * replaces are SIMD too.
 *
 * Exactness, against the scalar pass and so the reference: under those conditions every
 * step is one float32 operation on float32 values (bias +, d ·, s ·, s' ·), which is the
 * reference's float64 operation rounded once; Relu clears values with the sign bit set
 * (−0 → 0); Relu6 then takes pmin(v, 6); AscendQuant rounds half away from zero as
 * floor(|t| + C) with t's sign, C = 0.5 − 2⁻²⁵ (exact in float32, see ascend-quant.ts), then
 * clamps to the integers lo, hi. The function returns 1 when some input broke the
 * conditions (NaN, |v| ≥ 2^31 where dequantized, ±Inf elsewhere): the caller then runs the
 * scalar pass over the whole tensor instead. (The quant scale must be > 0: after a Relu the
 * sign is not looked at.)
 *
 * Parameters: bias and d as float32 arrays of C + 3 values each (value j is channel
 * j mod C), so four lanes starting at channel c read four consecutive floats.
 */
import { BELOW_HALF } from '../../quant/round';
import { F32, f32c, get, I32, i32c, mem, moduleBytes, OP, set, SIMD as S, simd, splat, V128, VOID } from '../../wasm/assembler';
import { compileModule, instantiate } from '../../wasm/host';
import type { WasmMemory } from '../../wasm/host';
import { STEP } from './ascend-chain-wasm';

export type ChainSimdFn = (x: number, y: number, n4: number, channels: number, params: number, flags: number, quantScale: number, lo: number, hi: number, antiScale: number, x2: number, antiA: number, antiB: number) => number;

// Parameter 5 (flags) is not read: each function is made for its flags.
const [X, Y, N, CH, PARAMS, QS, LO, HI, AS, X2, SA, SB] = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12];
const [I, C, PS, STEP4, GOOD, V, T] = [13, 14, 15, 16, 17, 18, 19];
const [QSV, LOV, HIV, ASV, SIX, BELOW_HALF_V, SIGN, TWO31, ZERO, SAV, SBV] = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30];

// Core opcodes by their spec names.
const { block: BLOCK, loop: LOOP, end: END, brIf: BR_IF, tee: TEE, i32eqz: I32EQZ, i32ltu: I32LTU, i32ges: I32GES } = OP;
const { i32add: I32ADD, i32sub: I32SUB, i32mul: I32MUL, i32remu: I32REMU, select: SELECT } = OP;

/** The step's code when `flags` has it: each chain gets a function of its own, with no test per value. */
const when = (flags: number, bit: number, body: number[]) => (flags & bit ? body : []);
/** v128.load at base + c·4 */
const laneParams = (base: number[]) => [...base, ...get(C), ...i32c(4), I32MUL, I32ADD, ...mem(S.load)];

function steps(flags: number): number[] {
  // good &= |v| < 2^31: false for NaN and for values the dequant would clamp to int32.
  const check = [...get(GOOD), ...get(V), ...simd(S.f32abs), ...get(TWO31), ...simd(S.f32lt), ...simd(S.and), ...set(GOOD)];
  const bias = [...get(V), ...laneParams(get(PARAMS)), ...simd(S.f32add), ...set(V)];
  const dequant = [...check, ...get(V), ...laneParams(get(PS)), ...simd(S.f32mul), ...set(V)];
  const relu = [...get(V), ...get(V), ...i32c(31), ...simd(S.i32shrS), ...simd(S.andnot), ...set(V)];
  const relu6 = [...relu, ...get(V), ...get(SIX), ...simd(S.f32pmin), ...set(V)];
  // Round half away from zero: floor(|t| + C), C the float32 below 0.5, exact in float32 (see
  // ascend-quant.ts), given t's sign back (+ 0 turns −0 into 0); after a Relu t ≥ 0 already.
  const nonNegative = (flags & (STEP.relu | STEP.relu6)) !== 0;
  const rounded = nonNegative
    ? [...get(T), ...get(BELOW_HALF_V), ...simd(S.f32add), ...simd(S.f32floor)]
    : [
        ...get(T), ...simd(S.f32abs), ...get(BELOW_HALF_V), ...simd(S.f32add), ...simd(S.f32floor),
        ...get(T), ...get(SIGN), ...simd(S.and), ...simd(S.or), ...get(ZERO), ...simd(S.f32add),
      ];
  const quant = [
    ...get(V), ...get(QSV), ...simd(S.f32mul), ...set(T),
    ...rounded, ...get(LOV), ...simd(S.f32pmax), ...get(HIV), ...simd(S.f32pmin), ...set(V),
  ];
  const antiQuant = [...get(V), ...get(ASV), ...simd(S.f32mul), ...set(V)];
  // A residual sum: v = [a·s_a] + [b·s_b], each a float32 operation as AscendAntiQuant and AddV2 make it.
  const sum = [
    ...when(flags, STEP.sumAntiA, [...get(V), ...get(SAV), ...simd(S.f32mul), ...set(V)]),
    ...get(X2), ...get(I), I32ADD, ...mem(S.load), ...set(T),
    ...when(flags, STEP.sumAntiB, [...get(T), ...get(SBV), ...simd(S.f32mul), ...set(T)]),
    ...get(V), ...get(T), ...simd(S.f32add), ...set(V),
  ];
  return [
    ...when(flags, STEP.sum, sum),
    ...(flags & STEP.dequant ? [] : check),
    ...when(flags, STEP.bias, bias), ...when(flags, STEP.dequant, dequant), ...when(flags, STEP.relu, relu), ...when(flags, STEP.relu6, relu6),
    ...when(flags, STEP.quant, quant), ...when(flags, STEP.antiQuant, antiQuant),
  ];
}

function body(flags: number): number[] {
  const setup = [
    ...get(PARAMS), ...get(CH), ...i32c(3), I32ADD, ...i32c(4), I32MUL, I32ADD, ...set(PS),
    ...i32c(4), ...get(CH), I32REMU, ...set(STEP4),
    ...splat(get(QS), QSV), ...splat(get(LO), LOV), ...splat(get(HI), HIV), ...splat(get(AS), ASV),
    ...splat(f32c(6), SIX), ...splat(f32c(BELOW_HALF), BELOW_HALF_V), ...splat(f32c(-0), SIGN), ...splat(f32c(2147483648), TWO31),
    ...splat(f32c(0), ZERO), ...splat(get(SA), SAV), ...splat(get(SB), SBV), ...i32c(-1), ...simd(S.i32splat), ...set(GOOD),
  ];
  const element = [
    ...get(X), ...get(I), I32ADD, ...mem(S.load), ...set(V),
    ...steps(flags),
    ...get(Y), ...get(I), I32ADD, ...get(V), ...mem(S.store),
    // c = (c + 4) mod C, as c + (4 mod C), less C once past it
    ...get(C), ...get(STEP4), I32ADD, ...set(C),
    ...get(C), ...get(CH), I32SUB, ...get(C), ...get(C), ...get(CH), I32GES, SELECT, ...set(C),
    ...get(I), ...i32c(16), I32ADD, TEE, I, ...get(N), ...i32c(4), I32MUL, I32LTU, BR_IF, 0,
  ];
  return [
    ...setup,
    BLOCK, VOID, ...get(N), I32EQZ, BR_IF, 0, LOOP, VOID, ...element, END, END,
    ...get(GOOD), ...simd(S.i32allTrue), I32EQZ, END,
  ];
}

function simdModuleBytes(flags: number): Uint8Array {
  const params = [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, I32, F32, F32];
  // locals: i, c, ps, step4 (i32); good, v, t, qs, lo, hi, as, six, C, sign, 2^31, 0, s_a, s_b (v128)
  return moduleBytes([{ name: 'chain', params, results: [I32], locals: [2, 4, I32, 14, V128], code: body(flags) }]);
}

/** Compiled modules by flags (null: no WebAssembly SIMD here), and their instances by memory. */
const compiled = new Map<number, object | null>();
const instances = new WeakMap<WasmMemory, Map<number, ChainSimdFn | undefined>>();

/** The SIMD pass for the steps in `flags` on `memory`, or undefined where WebAssembly SIMD is not available. */
export function chainSimdOn(memory: WasmMemory, flags: number): ChainSimdFn | undefined {
  let byFlags = instances.get(memory);
  if (!byFlags) instances.set(memory, (byFlags = new Map()));
  if (!byFlags.has(flags)) {
    if (!compiled.has(flags)) compiled.set(flags, compileModule(() => simdModuleBytes(flags)) ?? null);
    const module = compiled.get(flags);
    byFlags.set(flags, module ? (instantiate(module, memory)?.chain as ChainSimdFn | undefined) : undefined);
  }
  return byFlags.get(flags);
}
