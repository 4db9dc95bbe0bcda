/**
 * MomentHistogram's binning loop (addUntilTail) on WebAssembly, as module bytes. One
 * function, the JavaScript loop instruction for instruction in float64, so counts and
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
 * pairs. It is faster than V8's code for the same loop (~2.1 against ~3.4 ns per value,
 * bench/README.md): no bounds checks, no int/double conversions between the steps.
 */
import { F64, f64c, f64load, f64store, get, I32, i32c, OP, set, tee, VOID } from '../wasm/assembler';
import type { WasmFunction } from '../wasm/assembler';

// Parameters, then locals.
const [DATA, LEN, FROM, BINS, INV, START, W, BASE, HI, LO, N] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const [I, J, ADDR, X, R] = [11, 12, 13, 14, 15];

const bin: WasmFunction = {
  name: 'bin',
  params: [I32, I32, I32, I32, F64, F64, F64, F64, F64, F64, F64],
  results: [I32],
  locals: [2, 3, I32, 2, F64],
  code: [
    ...get(FROM), ...set(I),
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
    ...get(I),
    OP.end,
  ],
};

export const binKernelFunctions: WasmFunction[] = [bin];
