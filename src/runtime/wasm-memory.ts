/**
 * The wasm backend's memory is one WebAssembly heap of at most 4 GiB, and tfjs's wasm
 * backend does not check its allocations: when `malloc` fails it returns 0 and the
 * tensor is written over the module's own data at address 0 (measured: after that, 1 + 1
 * gives 2.02, 0, 0, 0 and every later run fails with "memory access out of bounds"). A
 * request of 4 GiB or more is also silently truncated to 32 bits. So:
 *
 * - `guardWasmAllocations` makes a failed or oversized allocation throw a
 *   WasmOutOfMemory (a plain JS error, before anything is written), which the Session
 *   turns into OUT_OF_MEMORY; the heap stays intact and the backend usable;
 * - `checkFeedsFit` refuses up front a run whose feeds alone cannot fit.
 */
import { SessionError } from '../errors';
import type { BackendName } from './backend';
import { tf } from './tfjs';

/** wasm32's address space: the heap can never grow past it. */
export const WASM_HEAP_MAX = 2 ** 32;

/**
 * The run needs raw feeds copied into the heap and at least one activation of the feeds'
 * size beside them (the first layer's output); the rest of the graph is checked as it
 * allocates (guardWasmAllocations). Feeds given as tensors are already held.
 */
const ACTIVATION_FACTOR = 1;

/** What the guard throws; the Session reports it as OUT_OF_MEMORY. */
export class WasmOutOfMemory extends Error {
  constructor(readonly bytes: number, readonly heapBytes: number) {
    super(`the wasm backend cannot allocate ${formatBytes(bytes)} (heap ${formatBytes(heapBytes)} of at most ${formatBytes(WASM_HEAP_MAX)})`);
    this.name = 'WasmOutOfMemory';
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}

interface WasmModule {
  _malloc(bytes: number): number;
  HEAPU8: Uint8Array;
}

const GUARDED = Symbol('amct-ts malloc guard');

function wasmModule(): (WasmModule & { [GUARDED]?: true }) | undefined {
  let backend: unknown;
  try {
    backend = tf.engine().findBackend('wasm');
  } catch {
    return undefined;
  }
  return (backend as { wasm?: WasmModule } | null)?.wasm;
}

/** Bytes the wasm heap holds now (it only grows), or 0 when wasm is not initialised. */
export function wasmHeapBytes(): number {
  return wasmModule()?.HEAPU8.length ?? 0;
}

/** Makes the wasm backend's tensor allocations fail loudly instead of corrupting the heap. Idempotent. */
export function guardWasmAllocations(): void {
  const wasm = wasmModule();
  if (!wasm || wasm[GUARDED]) return;
  const malloc = wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number) => {
    if (!(bytes < WASM_HEAP_MAX)) throw new WasmOutOfMemory(bytes, wasm.HEAPU8.length);
    const at = malloc(bytes);
    if (at === 0 && bytes > 0) throw new WasmOutOfMemory(bytes, wasm.HEAPU8.length);
    return at;
  };
  wasm[GUARDED] = true;
}

/** Bytes a feed occupies on the backend (4 per element; bool 1, complex64 8). */
function feedBytes(shape: readonly number[], dtype: string): number {
  const n = shape.reduce((a, b) => a * b, 1);
  return n * (dtype === 'complex64' ? 8 : dtype === 'bool' ? 1 : 4);
}

export interface FeedSize {
  name: string;
  shape: readonly number[];
  dtype: string;
  /** Set when the feed is a tensor the backend already holds. */
  tensor?: unknown;
}

/**
 * Refuses a wasm run whose feeds cannot fit beside what the backend already holds:
 * FEED_TOO_LARGE naming the size, before any feed is copied into the heap.
 */
export function checkFeedsFit(backend: BackendName, feeds: FeedSize[]): void {
  if (backend !== 'wasm' || feeds.length === 0) return;
  const bytes = feeds.reduce((sum, f) => sum + feedBytes(f.shape, f.dtype), 0);
  const toCopy = feeds.reduce((sum, f) => sum + (f.tensor ? 0 : feedBytes(f.shape, f.dtype)), 0);
  const held = tf.memory().numBytes;
  const need = held + toCopy + bytes * ACTIVATION_FACTOR;
  if (need < WASM_HEAP_MAX) return;
  const largest = feeds.reduce((a, b) => (feedBytes(b.shape, b.dtype) > feedBytes(a.shape, a.dtype) ? b : a));
  throw new SessionError('FEED_TOO_LARGE',
    `the feeds take ${formatBytes(bytes)} (largest: "${largest.name}", shape [${largest.shape.join(', ')}]); with the activations of at least that size and the ${formatBytes(held)} the backend holds, the run needs over ${formatBytes(need)}, beyond the wasm backend's ${formatBytes(WASM_HEAP_MAX)}`,
    { node: largest.name, hint: 'split the batch into smaller ones and run them one after another' });
}
