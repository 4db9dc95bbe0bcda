/**
 * MomentHistogram's binning loop (addUntilTail) on WebAssembly, as module bytes. The
 * JavaScript loop's float64 operations on each value, in the same order, so counts and
 * sums come out bit for bit the same (IEEE arithmetic, same operations, same order):
 *
 *   bin(data, len, from, bins, inv, start, w, base, hi, lo, n) → index
 *     for i = from … len − 1:
 *       x = data[i] (float32, widened)
 *       stop unless lo ≤ x ≤ hi                          (NaN stops too)
 *       r = x·inv − start; stop unless 0 ≤ r < n         (outside the window)
 *       j = trunc(r)
 *       bins[2j] += 1; bins[2j + 1] += x − (j·w + base)
 *     returns the index it stopped at (len when every value was binned)
 *
 * Pointers are byte offsets into the imported memory: data holds float32, bins float64
 * pairs. Two builds of the function:
 *  - scalar: the loop as written. Faster than V8's code for it (no bounds checks, no
 *    int/double conversions between the steps).
 *  - SIMD (the default where the engine has WebAssembly SIMD): four values per step. Their
 *    checks, r, j and x − (j·w + base) are computed in f64x2 vectors, the same operations
 *    lane by lane; then each value's bin (count, sum) is one 16-byte load, one f64x2 add of
 *    (1, d) and one store, value after value in order, so two values of one bin add up as
 *    in the loop. A step with any value the loop would stop at is left to the scalar loop,
 *    which follows and stops at it exactly; so do the last 1–3 values.
 */
import { F64, f64c, f64load, f64store, get, I32, i32c, mem, OP, set, SIMD, simd, splat64, tee, V128, VOID } from '../wasm/assembler';
import type { WasmFunction } from '../wasm/assembler';

// Parameters, then locals.
const [DATA, LEN, FROM, BINS, INV, START, W, BASE, HI, LO, N] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const [I, J, ADDR, X, R] = [11, 12, 13, 14, 15];
const PARAMS = [I32, I32, I32, I32, F64, F64, F64, F64, F64, F64, F64];
// The SIMD build's v128 locals: four values as float32, their two f64x2 halves (lanes 0–1
// and 2–3) with r, j and d per half, and the scalar parameters splatted.
const V_NAMES = ['F', 'X0', 'X1', 'R0', 'R1', 'J0', 'J1', 'D0', 'D1', 'VINV', 'VSTART', 'VW', 'VBASE', 'VHI', 'VLO', 'VN', 'VZERO', 'VONE'] as const;
const V = Object.fromEntries(V_NAMES.map((name, k) => [name, R + 1 + k])) as Record<(typeof V_NAMES)[number], number>;

/** The scalar loop from i (block, loop, …, end, end): binning stops at its end or at the first value it cannot bin. */
const scalarLoop = [
  OP.block, VOID, OP.loop, VOID,
  ...get(I), ...get(LEN), OP.i32geu, OP.brIf, 1,
  // x = data[i]; stop unless lo ≤ x ≤ hi
  ...get(DATA), ...get(I), ...i32c(2), OP.i32shl, OP.i32add, OP.f32load, 2, 0, OP.promote, ...tee(X),
  ...get(HI), OP.f64le, ...get(X), ...get(LO), OP.f64ge, OP.i32and, OP.i32eqz, OP.brIf, 1,
  // r = x·inv − start; stop unless 0 ≤ r < n
  ...get(X), ...get(INV), OP.f64mul, ...get(START), OP.f64sub, ...tee(R),
  ...f64c(0), OP.f64ge, ...get(R), ...get(N), OP.f64lt, OP.i32and, OP.i32eqz, OP.brIf, 1,
  // j = trunc(r) (0 ≤ r < n: no trap); addr = bins + 16·j
  ...get(R), OP.i32truncF64s, ...tee(J), ...i32c(4), OP.i32shl, ...get(BINS), OP.i32add, ...tee(ADDR),
  // bins[2j] += 1
  ...get(ADDR), ...f64load(0), ...f64c(1), OP.f64add, ...f64store(0),
  // bins[2j + 1] += x − (j·w + base)
  ...get(ADDR), ...get(ADDR), ...f64load(8), ...get(X), ...get(J), OP.f64fromI32, ...get(W), OP.f64mul, ...get(BASE), OP.f64add, OP.f64sub,
  OP.f64add, ...f64store(8),
  ...get(I), ...i32c(1), OP.i32add, ...set(I),
  OP.br, 0,
  OP.end, OP.end,
];

const binScalar: WasmFunction = {
  name: 'bin',
  params: PARAMS,
  results: [I32],
  locals: [2, 3, I32, 2, F64],
  code: [...get(FROM), ...set(I), ...scalarLoop, ...get(I), OP.end],
};

/** i8x16.shuffle of the two vectors on the stack: byte k of the result is byte lanes[k] of (first ‖ second). */
const shuffle = (lanes: number[]) => [...simd(SIMD.shuffle), ...lanes];
const bytes = (from: number) => Array.from({ length: 8 }, (_, k) => from + k);
/** The f64x2 (1, lane `lane` of d): what one value adds to its bin's (count, sum). */
const oneAnd = (d: number, lane: number) => [...get(V.VONE), ...get(d), ...shuffle([...bytes(0), ...bytes(16 + 8 * lane)])];
/** Mask of the lanes of half (x, r) that the scalar loop bins: lo ≤ x ≤ hi and 0 ≤ r < n. */
const binnable = (x: number, r: number) => [
  ...get(x), ...get(V.VHI), ...simd(SIMD.f64le), ...get(x), ...get(V.VLO), ...simd(SIMD.f64ge), ...simd(SIMD.and),
  ...get(r), ...get(V.VZERO), ...simd(SIMD.f64ge), ...simd(SIMD.and), ...get(r), ...get(V.VN), ...simd(SIMD.f64lt), ...simd(SIMD.and),
];
/** r = x·inv − start; j = trunc(r); d = x − (j·w + base), for one half. */
const rOf = (x: number, r: number) => [...get(x), ...get(V.VINV), ...simd(SIMD.f64mul), ...get(V.VSTART), ...simd(SIMD.f64sub), ...set(r)];
const jdOf = (x: number, r: number, j: number, d: number) => [
  ...get(r), ...simd(SIMD.i32truncSatF64sZero), ...set(j),
  ...get(x), ...get(j), ...simd(SIMD.f64convertLowI32s), ...get(V.VW), ...simd(SIMD.f64mul), ...get(V.VBASE), ...simd(SIMD.f64add), ...simd(SIMD.f64sub), ...set(d),
];
/** bins[j] (count, sum) += (1, d) for lane `lane` of j and d. */
const addToBin = (j: number, d: number, lane: number) => [
  ...get(BINS), ...get(j), ...simd(SIMD.i32extractLane), lane, ...i32c(4), OP.i32shl, OP.i32add, ...tee(ADDR),
  ...get(ADDR), ...mem(SIMD.load), ...oneAnd(d, lane), ...simd(SIMD.f64add), ...mem(SIMD.store),
];

const binSimd: WasmFunction = {
  name: 'bin',
  params: PARAMS,
  results: [I32],
  locals: [3, 3, I32, 2, F64, V_NAMES.length, V128],
  code: [
    ...splat64(get(INV), V.VINV), ...splat64(get(START), V.VSTART), ...splat64(get(W), V.VW), ...splat64(get(BASE), V.VBASE),
    ...splat64(get(HI), V.VHI), ...splat64(get(LO), V.VLO), ...splat64(get(N), V.VN), ...splat64(f64c(0), V.VZERO), ...splat64(f64c(1), V.VONE),
    ...get(FROM), ...set(I),
    OP.block, VOID, OP.loop, VOID,
    // four values left?
    ...get(LEN), ...get(I), ...i32c(4), OP.i32add, OP.i32ltu, OP.brIf, 1,
    // x: data[i … i + 3] widened, lanes 0–1 in X0 and 2–3 in X1
    ...get(DATA), ...get(I), ...i32c(2), OP.i32shl, OP.i32add, ...mem(SIMD.load), ...tee(V.F),
    ...simd(SIMD.f64promoteLowF32), ...set(V.X0),
    ...get(V.F), ...get(V.F), ...shuffle([...bytes(8), ...bytes(8)]), ...simd(SIMD.f64promoteLowF32), ...set(V.X1),
    ...rOf(V.X0, V.R0), ...rOf(V.X1, V.R1),
    // a value the scalar loop would stop at: leave the four to it
    ...binnable(V.X0, V.R0), ...binnable(V.X1, V.R1), ...simd(SIMD.and), ...simd(SIMD.i32allTrue), OP.i32eqz, OP.brIf, 1,
    ...jdOf(V.X0, V.R0, V.J0, V.D0), ...jdOf(V.X1, V.R1, V.J1, V.D1),
    ...addToBin(V.J0, V.D0, 0), ...addToBin(V.J0, V.D0, 1), ...addToBin(V.J1, V.D1, 0), ...addToBin(V.J1, V.D1, 1),
    ...get(I), ...i32c(4), OP.i32add, ...set(I),
    OP.br, 0,
    OP.end, OP.end,
    ...scalarLoop,
    ...get(I),
    OP.end,
  ],
};

/** The scalar build (engines without WebAssembly SIMD). */
export const binKernelScalar: WasmFunction[] = [binScalar];
/** The SIMD build. */
export const binKernelSimd: WasmFunction[] = [binSimd];
