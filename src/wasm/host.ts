/**
 * The part of the WebAssembly JavaScript API the assembled modules need: compile,
 * instantiate on a memory, make and grow memories. Every function returns undefined where
 * WebAssembly (or a feature a module uses, such as SIMD) is missing, so callers keep a
 * JavaScript path instead of failing.
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
export const WASM_PAGE_BYTES = 65536;

/** The compiled module, or undefined where this WebAssembly cannot compile it. */
export function compileModule(bytes: () => Uint8Array): object | undefined {
  try {
    return typeof WebAssembly === 'undefined' ? undefined : new WebAssembly.Module(bytes());
  } catch {
    return undefined;
  }
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

/** Grows `memory` to hold at least `bytes` (its buffer is then a new ArrayBuffer: views on the old one are detached). */
export function reserveBytes(memory: WasmMemory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / WASM_PAGE_BYTES));
}
