/**
 * The part of the WebAssembly JavaScript API the assembled modules need: compile,
 * instantiate on a memory, make and grow memories. Every function returns undefined (or
 * false) where WebAssembly (or a feature a module uses, such as SIMD) is missing or a memory
 * cannot grow, so callers keep a JavaScript path instead of failing.
 */

/** A WebAssembly.Memory (the project's type libraries do not declare the WebAssembly API). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
};

/** Bytes in a WebAssembly memory page. */
const WASM_PAGE_BYTES = 65536;

/** The compiled module, or undefined where this WebAssembly cannot compile it. */
export function compileModule(bytes: () => Uint8Array): object | undefined {
  try {
    return typeof WebAssembly === 'undefined' ? undefined : new WebAssembly.Module(bytes());
  } catch {
    return undefined;
  }
}

/** compileModule(bytes) at the first call only: a function returning that module (or undefined) ever after. */
export function compileOnce(bytes: () => Uint8Array): () => object | undefined {
  let compiled: object | null | undefined; // null: it does not compile here
  return () => {
    if (compiled === undefined) compiled = compileModule(bytes) ?? null;
    return compiled ?? undefined;
  };
}

/** The module's exports on `memory` (its env.memory), or undefined where it cannot link (the callers then use another path). */
export function instantiate(module: object, memory: WasmMemory): Record<string, unknown> | undefined {
  try {
    return new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch {
    return undefined;
  }
}

export function isWasmMemory(m: unknown): m is WasmMemory {
  return typeof WebAssembly !== 'undefined' && m instanceof WebAssembly.Memory;
}

export function newWasmMemory(): WasmMemory | undefined {
  return typeof WebAssembly === 'undefined' ? undefined : new WebAssembly.Memory({ initial: 1 });
}

/** The module's exports on a new memory of its own (one page, grown with reserveBytes), or undefined without a module or where it cannot link. */
export function instanceOnNewMemory(module: object | undefined): { memory: WasmMemory; exports: Record<string, unknown> } | undefined {
  const memory = module && newWasmMemory();
  const exports = module && memory && instantiate(module, memory);
  return memory && exports ? { memory, exports } : undefined;
}

/**
 * Grows `memory` to hold at least `bytes`; true when it holds them, false when the engine
 * would not grow it (memory.grow's RangeError: out of address space or past 4 GiB; the
 * caller then takes its JavaScript path). After a growth its buffer is a new ArrayBuffer:
 * views on the old one are detached.
 */
export function reserveBytes(memory: WasmMemory, bytes: number): boolean {
  const missing = bytes - memory.buffer.byteLength;
  if (missing <= 0) return true;
  try {
    memory.grow(Math.ceil(missing / WASM_PAGE_BYTES));
  } catch {
    return false; // RangeError, the only error memory.grow throws
  }
  return true;
}
