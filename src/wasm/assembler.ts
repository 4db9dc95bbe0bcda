/**
 * A WebAssembly assembler small enough to read: opcodes, immediates and the module layout,
 * so kernels are written in code as arrays of bytes (no toolchain, no binary file shipped).
 * Used by the runtime's chain kernels (runtime/kernels/ascend-chain-*.ts), the weight
 * quantization (quant/weights-simd-module.ts) and calibration's binning and loss kernels
 * (calib/*-kernel-module.ts); it imports nothing, so any layer may use it.
 */

// Opcodes (WebAssembly core spec, §5.4).
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, select: 0x1b, get: 0x20, set: 0x21, tee: 0x22,
  f32load: 0x2a, f64load: 0x2b, f32store: 0x38, f64store: 0x39, i32const: 0x41, f32const: 0x43, f64const: 0x44,
  i32eqz: 0x45, i32eq: 0x46, i32lts: 0x48, i32ltu: 0x49, i32gts: 0x4a, f32eq: 0x5b, f32lt: 0x5d, f64eq: 0x61, f64ne: 0x62,
  f64lt: 0x63, f64le: 0x65, f64ge: 0x66, i32ges: 0x4e, i32geu: 0x4f, i32add: 0x6a, i32sub: 0x6b, i32mul: 0x6c, i32remu: 0x70, i32and: 0x71, i32shl: 0x74,
  f32abs: 0x8b, f32add: 0x92, f32mul: 0x94, f32min: 0x96, f32max: 0x97,
  f64abs: 0x99, f64floor: 0x9c, f64add: 0xa0, f64sub: 0xa1, f64mul: 0xa2, f64div: 0xa3, f64min: 0xa4, f64max: 0xa5, f64copysign: 0xa6,
  i32truncF64s: 0xaa, f32fromI32: 0xb2, demote: 0xb6, f64fromI32: 0xb7, promote: 0xbb, i32bits: 0xbc, f32bits: 0xbe,
} as const;

/**
 * SIMD opcodes (prefix 0xfd, then the index as unsigned LEB; WebAssembly core spec 2.0,
 * §5.4.8). Lane shapes in the names: f64 = f64x2, f32 = f32x4, i32 = i32x4, i16 = i16x8,
 * i8 = i8x16; load64splat is v128.load64_splat; shuffle (i8x16.shuffle) is followed by its 16
 * lane indices, i32extractLane by its lane.
 */
export const SIMD = {
  load: 0x00, load64splat: 0x0a, store: 0x0b, shuffle: 0x0d, i32splat: 0x11, f32splat: 0x13, f64splat: 0x14, i32extractLane: 0x1b, f64replaceLane: 0x22,
  f32eq: 0x41, f32lt: 0x43, f64ne: 0x48, f64lt: 0x49, f64gt: 0x4a, f64le: 0x4b, f64ge: 0x4c,
  and: 0x4e, andnot: 0x4f, or: 0x50, bitselect: 0x52, anyTrue: 0x53, store32lane: 0x5a,
  f64promoteLowF32: 0x5f, i8narrowI16s: 0x65, f32floor: 0x68, f32trunc: 0x69, f64trunc: 0x7a, i16narrowI32s: 0x85, i32allTrue: 0xa3, i32shrS: 0xac, i32sub: 0xb1,
  f32abs: 0xe0, f32add: 0xe4, f32mul: 0xe6, f32div: 0xe7, f32pmin: 0xea, f32pmax: 0xeb,
  f64add: 0xf0, f64sub: 0xf1, f64mul: 0xf2, f64div: 0xf3, i32truncSatF64sZero: 0xfc, f64convertLowI32s: 0xfe,
} as const;

/** A SIMD instruction: the prefix and its index. */
export const simd = (op: number) => (op < 0x80 ? [0xfd, op] : [0xfd, (op & 0x7f) | 0x80, op >> 7]);

/**
 * Saturating truncations (prefix 0xfc, then the index; WebAssembly core spec 2.0, §5.4.1):
 * float → int clamped to the int's range, NaN → 0. i32truncF64s is i32.trunc_sat_f64_s.
 */
export const SAT = { i32truncF64s: 0x02 } as const;

/** A saturating truncation: the prefix and its index (every index is below 0x80: one byte). */
export const sat = (op: number) => [0xfc, op];

/** Block type of a block, loop or if that leaves nothing on the stack. */
export const VOID = 0x40;
/** Value types. */
export const [I32, F32, F64, V128] = [0x7f, 0x7d, 0x7c, 0x7b];

/** Signed LEB128 (the encoding of integer immediates; lengths below 2^31 read the same unsigned). */
function leb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

export const i32c = (n: number) => [OP.i32const, ...leb(n)];
export const f32c = (n: number) => [OP.f32const, ...new Uint8Array(new Float32Array([n]).buffer)];
export const f64c = (n: number) => [OP.f64const, ...new Uint8Array(new Float64Array([n]).buffer)];
export const get = (i: number) => [OP.get, i];
export const set = (i: number) => [OP.set, i];
export const tee = (i: number) => [OP.tee, i];

/** f64.load / f64.store at the address on the stack + offset (alignment 2^3). */
export const f64load = (offset = 0) => [OP.f64load, 3, ...leb(offset)];
export const f64store = (offset = 0) => [OP.f64store, 3, ...leb(offset)];
/** A v128 load or store (SIMD.load, SIMD.store) at the address on the stack + offset (alignment 2^4, a hint). */
export const mem = (op: number, offset = 0) => [...simd(op), 4, ...leb(offset)];
/** The f32 that `value` leaves on the stack, in all four lanes of local `local` (f32x4.splat). */
export const splat = (value: number[], local: number) => [...value, ...simd(SIMD.f32splat), ...set(local)];
/** The f64 that `value` leaves on the stack, in both lanes of local `local` (f64x2.splat). */
export const splat64 = (value: number[], local: number) => [...value, ...simd(SIMD.f64splat), ...set(local)];

/** One exported function of a module. */
export interface WasmFunction {
  name: string;
  params: number[];
  results: number[];
  /** The locals vector as encoded: count of entries, then (how many, type) pairs. */
  locals: number[];
  /** The body, including its final `end`. */
  code: number[];
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];

/** A module importing env.memory and exporting `functions` (function i has type i). */
export function moduleBytes(functions: WasmFunction[]): Uint8Array {
  const n = leb(functions.length);
  const type = section(1, [...n, ...functions.flatMap((f) => [0x60, f.params.length, ...f.params, f.results.length, ...f.results])]);
  const imports = section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]);
  const funcs = section(3, [...n, ...functions.flatMap((_, i) => leb(i))]);
  const exports = section(7, [...n, ...functions.flatMap((f, i) => [...name(f.name), 0x00, ...leb(i)])]);
  const bodies = functions.flatMap((f) => {
    const fn = [...f.locals, ...f.code];
    return [...leb(fn.length), ...fn];
  });
  const codeSection = section(10, [...n, ...bodies]);
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...codeSection]);
}
