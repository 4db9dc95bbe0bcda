/**
 * hist-loss.ts's `loss` for two candidates at once, as WebAssembly SIMD module bytes: each
 * f64x2 lane runs one candidate through the JavaScript's float64 operations in the same
 * order and association, bins in the same order, so each lane's sum is that candidate's
 * JavaScript sum bit for bit. A branch that depends on the candidate (clipped below, above,
 * one grid cell or more) runs when either lane takes it, and its result is selected per lane
 * (bitselect); the lane that did not take it may divide by zero there, harmlessly. The
 * point-bin test (half ≤ tiny) does not depend on the candidate and stays a branch.
 *
 *   loss2(count, n, half, u, v, density, mean, tiny, lo0, lo1, c0, c1, s0, s1, qLo0, qLo1, qC0, qC1, out)
 *     n … mean: byte offsets of `count` float64 each (hist-loss.ts PreparedBins);
 *     lane i: clip range [lo_i, c_i], grid step s_i, qLo_i = quantize(lo_i), qC_i = quantize(c_i);
 *     stores the two sums (before the division by the total) at `out`.
 *
 * roundHalfAwayFromZero(x) (quant/round.ts) per lane: t = trunc(x); frac = x − t;
 * frac ≥ 0.5 → t + 1, frac ≤ −0.5 → t − 1, else t + 0 (−0 → 0, as the JavaScript's
 * `t === 0 ? 0 : t`; its `x | 0` gives +0 where trunc gives −0, and frac is the same).
 */
import { F64, f64c, f64load, get, I32, i32c, mem, OP, set, SIMD, simd, tee, V128, VOID } from '../wasm/assembler';
import type { WasmFunction } from '../wasm/assembler';

/** A vector of x in both lanes. */
const vconst = (x: number) => [...f64c(x), ...simd(SIMD.f64splat)];
/** `body` when any lane of the mask in local `mask` is set: what no lane takes is skipped, as the JavaScript skips it. */
const ifAny = (mask: number, body: number[]) => [...get(mask), ...simd(SIMD.anyTrue), OP.if, VOID, ...body, OP.end];
/** mask ? a : b, per lane: a, b and mask code in that order. */
const select = (a: number[], b: number[], mask: number[]) => [...a, ...b, ...mask, ...simd(SIMD.bitselect)];

// Parameters.
const [COUNT, N, HALF, U, V, DENS, MEAN] = [0, 1, 2, 3, 4, 5, 6];
const TINY = 7;
const [LO0, LO1, C0, C1, S0, S1, QLO0, QLO1, QC0, QC1] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
const OUT = 18;
// Locals: i32, then the v128 ones in the order of V_NAMES.
const [I, AT] = [19, 20];
const V_NAMES = ['LO', 'C', 'S', 'QLO', 'QC', 'SUM', 'UU', 'VV', 'TOTAL', 'E', 'SEG', 'TA', 'TB', 'KU', 'KV', 'T', 'FRAC', 'X', 'Y', 'MASK', 'QV', 'G'] as const;
const { LO, C, S, QLO, QC, SUM, UU, VV, TOTAL, E, SEG, TA, TB, KU, KV, T, FRAC, X, Y, MASK, QV, G } = Object.fromEntries(V_NAMES.map((name, k) => [name, AT + 1 + k])) as Record<(typeof V_NAMES)[number], number>;

/** The lane pair (a, b) as a vector. */
const pair = (a: number, b: number) => [...get(a), ...simd(SIMD.f64splat), ...get(b), ...simd(SIMD.f64replaceLane), 1];

/** out = ((v − u)·(a·a + a·b + b·b)) / 3 with a = u − q, b = v − q: hist-loss `segment`. */
function segment(u: number, v: number, q: number, out: number): number[] {
  return [
    ...get(v), ...get(u), ...simd(SIMD.f64sub),
    ...get(u), ...get(q), ...simd(SIMD.f64sub), ...tee(TA), ...get(TA), ...simd(SIMD.f64mul),
    ...get(TA), ...get(v), ...get(q), ...simd(SIMD.f64sub), ...tee(TB), ...simd(SIMD.f64mul), ...simd(SIMD.f64add),
    ...get(TB), ...get(TB), ...simd(SIMD.f64mul), ...simd(SIMD.f64add),
    ...simd(SIMD.f64mul), ...vconst(3), ...simd(SIMD.f64div), ...set(out),
  ];
}

/** out = roundHalfAwayFromZero(x), per lane (see the header). */
function round(x: number, out: number): number[] {
  return [
    ...get(x), ...simd(SIMD.f64trunc), ...set(T),
    ...get(x), ...get(T), ...simd(SIMD.f64sub), ...set(FRAC),
    ...select(
      [...get(T), ...vconst(1), ...simd(SIMD.f64add)],
      select([...get(T), ...vconst(1), ...simd(SIMD.f64sub)], [...get(T), ...vconst(0), ...simd(SIMD.f64add)], [...get(FRAC), ...vconst(-0.5), ...simd(SIMD.f64le)]),
      [...get(FRAC), ...vconst(0.5), ...simd(SIMD.f64ge)],
    ),
    ...set(out),
  ];
}

/** out = round(clamp(x, lo, c) / s)·s: hist-loss `quantize` (x < lo ? lo : x > c ? c : x). */
function quantize(x: number, out: number): number[] {
  return [
    ...select(get(LO), select(get(C), get(x), [...get(x), ...get(C), ...simd(SIMD.f64gt)]), [...get(x), ...get(LO), ...simd(SIMD.f64lt)]),
    ...get(S), ...simd(SIMD.f64div), ...set(Y),
    ...round(Y, out),
    ...get(out), ...get(S), ...simd(SIMD.f64mul), ...set(out),
  ];
}

/** G = gridIntegral(u, v, s): one cell (ku = kv) or partial cells at the ends plus s³/12 per full cell. */
function gridIntegral(): number[] {
  return [
    ...get(UU), ...get(S), ...simd(SIMD.f64div), ...set(Y), ...round(Y, KU),
    ...get(VV), ...get(S), ...simd(SIMD.f64div), ...set(Y), ...round(Y, KV),
    // one cell: segment(u, v, ku·s)
    ...get(KU), ...get(S), ...simd(SIMD.f64mul), ...set(QV),
    ...segment(UU, VV, QV, G),
    // more cells, in the lanes where ku ≠ kv (rare: bins are much narrower than a cell)
    ...get(KU), ...get(KV), ...simd(SIMD.f64ne), ...set(MASK),
    ...ifAny(MASK, [
      // first = segment(u, (ku + 0.5)·s, ku·s) → X
      ...get(KU), ...vconst(0.5), ...simd(SIMD.f64add), ...get(S), ...simd(SIMD.f64mul), ...set(E),
      ...segment(UU, E, QV, X),
      // last = segment((kv − 0.5)·s, v, kv·s) → Y
      ...get(KV), ...vconst(0.5), ...simd(SIMD.f64sub), ...get(S), ...simd(SIMD.f64mul), ...set(E),
      ...get(KV), ...get(S), ...simd(SIMD.f64mul), ...set(QV),
      ...segment(E, VV, QV, Y),
      // first + last + ((kv − ku − 1)·s·s·s) / 12
      ...select(
        [
          ...get(X), ...get(Y), ...simd(SIMD.f64add),
          ...get(KV), ...get(KU), ...simd(SIMD.f64sub), ...vconst(1), ...simd(SIMD.f64sub), ...get(S), ...simd(SIMD.f64mul), ...get(S), ...simd(SIMD.f64mul), ...get(S), ...simd(SIMD.f64mul),
          ...vconst(12), ...simd(SIMD.f64div), ...simd(SIMD.f64add),
        ],
        get(G),
        get(MASK),
      ),
      ...set(G),
    ]),
  ];
}

const load = (ptr: number) => [...get(ptr), ...get(AT), OP.i32add, ...simd(SIMD.load64splat), 3, 0];
const scalar = (ptr: number) => [...get(ptr), ...get(AT), OP.i32add, ...f64load()];

/** One bin of the interval model (half > tiny): hist-loss `loss`'s loop body after the point test. */
function intervalBin(): number[] {
  return [
    ...load(U), ...set(UU), ...load(V), ...set(VV), ...vconst(0), ...set(TOTAL),
    // if (u < lo) { e = v < lo ? v : lo; total += segment(u, e, qLo); u = e; }
    ...get(UU), ...get(LO), ...simd(SIMD.f64lt), ...set(MASK),
    ...ifAny(MASK, [
      ...select(get(VV), get(LO), [...get(VV), ...get(LO), ...simd(SIMD.f64lt)]), ...set(E),
      ...segment(UU, E, QLO, SEG),
      ...select([...get(TOTAL), ...get(SEG), ...simd(SIMD.f64add)], get(TOTAL), get(MASK)), ...set(TOTAL),
      ...select(get(E), get(UU), get(MASK)), ...set(UU),
    ]),
    // if (v > c && v > u) { b = u > c ? u : c; total += segment(b, v, qC); v = b; }
    ...get(VV), ...get(C), ...simd(SIMD.f64gt), ...get(VV), ...get(UU), ...simd(SIMD.f64gt), ...simd(SIMD.and), ...set(MASK),
    ...ifAny(MASK, [
      ...select(get(UU), get(C), [...get(UU), ...get(C), ...simd(SIMD.f64gt)]), ...set(E),
      ...segment(E, VV, QC, SEG),
      ...select([...get(TOTAL), ...get(SEG), ...simd(SIMD.f64add)], get(TOTAL), get(MASK)), ...set(TOTAL),
      ...select(get(E), get(VV), get(MASK)), ...set(VV),
    ]),
    // if (v > u) total += gridIntegral(u, v, s);
    ...gridIntegral(),
    ...select([...get(TOTAL), ...get(G), ...simd(SIMD.f64add)], get(TOTAL), [...get(VV), ...get(UU), ...simd(SIMD.f64gt)]), ...set(TOTAL),
    // sum += density · total
    ...get(SUM), ...load(DENS), ...get(TOTAL), ...simd(SIMD.f64mul), ...simd(SIMD.f64add), ...set(SUM),
  ];
}

/** A point bin (half ≤ tiny): d = quantize(mean) − mean; sum += n·(d·d + half·half/3). */
function pointBin(): number[] {
  return [
    ...load(MEAN), ...set(X), ...quantize(X, QV),
    ...get(QV), ...get(X), ...simd(SIMD.f64sub), ...set(E),
    ...get(SUM), ...load(N),
    ...get(E), ...get(E), ...simd(SIMD.f64mul), ...load(HALF), ...load(HALF), ...simd(SIMD.f64mul), ...vconst(3), ...simd(SIMD.f64div), ...simd(SIMD.f64add),
    ...simd(SIMD.f64mul), ...simd(SIMD.f64add), ...set(SUM),
  ];
}

const loss2: WasmFunction = {
  name: 'loss2',
  params: [I32, I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, I32],
  results: [],
  locals: [2, 2, I32, V_NAMES.length, V128],
  code: [
    ...pair(LO0, LO1), ...set(LO), ...pair(C0, C1), ...set(C), ...pair(S0, S1), ...set(S),
    ...pair(QLO0, QLO1), ...set(QLO), ...pair(QC0, QC1), ...set(QC),
    ...vconst(0), ...set(SUM),
    ...i32c(0), ...set(I),
    OP.block, VOID, OP.loop, VOID,
    ...get(I), ...get(COUNT), OP.i32geu, OP.brIf, 1,
    ...get(I), ...i32c(3), OP.i32shl, ...set(AT),
    ...scalar(HALF), ...get(TINY), OP.f64le, OP.if, VOID, ...pointBin(), OP.else, ...intervalBin(), OP.end,
    ...get(I), ...i32c(1), OP.i32add, ...set(I),
    OP.br, 0,
    OP.end, OP.end,
    ...get(OUT), ...get(SUM), ...mem(SIMD.store),
    OP.end,
  ],
};

export const lossKernelFunctions: WasmFunction[] = [loss2];
