/**
 * Where MomentHistograms bin on WebAssembly (bin-kernel-module.ts): one memory per thread
 * holding the histograms' bins (one slot each, for as long as the histogram lives) and a
 * staging area the batch being binned is copied into. The bins stay in the memory between
 * batches, since copying a 256 KiB histogram in and out per batch would cost more than the
 * kernel saves on a small layer.
 *
 * A WebAssembly memory only grows, and growing it detaches every view on it, so slots
 * are offsets and their views are made again after a growth (BinSlot.view). A slot goes
 * back to the free list when its histogram is garbage-collected (FinalizationRegistry),
 * moved to another thread or re-binned; freed slots are reused by size, so the memory holds
 * at most the histograms alive at once, plus the largest batch. When none has been alive
 * for 2 s the arena is let go (binArena), and the memory with it.
 *
 * `binArena()` is undefined where WebAssembly is missing or AMCT_WASM_BINNING=0; the
 * histograms then bin in JavaScript, with the same results.
 */
import { compileOnce, instanceOnNewMemory, reserveBytes, WasmMemory } from '../wasm/host';
import { moduleBytes } from '../wasm/assembler';
import { binKernelScalar, binKernelSimd } from './bin-kernel-module';

type BinFunction = (data: number, len: number, from: number, bins: number, inv: number, start: number, w: number, base: number, hi: number, lo: number, n: number) => number;

/** A histogram's bins in the arena: `length` float64 from byte `offset`. */
export class BinSlot {
  private cached?: Float64Array;

  constructor(
    readonly arena: BinArena,
    public offset: number,
    readonly length: number,
  ) {}

  /** The bins, valid until the arena next grows (any alloc or stage): fetch again after one. */
  view(): Float64Array {
    const buffer = this.arena.memory.buffer;
    if (this.cached?.buffer !== buffer || this.cached.byteOffset !== this.offset) this.cached = new Float64Array(buffer, this.offset, this.length);
    return this.cached;
  }
}

const ALIGN = 64;
/**
 * The arena's ceiling. Slots come back only when their histograms are collected, which a
 * loop making accumulators may outrun; past this, new histograms keep plain arrays.
 */
const MAX_BYTES = 1 << 30;
const aligned = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

export class BinArena {
  private top = ALIGN; // offset 0 stays unused: a slot is never at 0
  private readonly free = new Map<number, number[]>();
  private stagingOffset = 0;
  private stagingBytes = 0;
  private stagingView?: Float32Array;
  private readonly released = new FinalizationRegistry<BinSlot>((slot) => this.freeSlot(slot));
  /** Slots handed out and not yet freed. */
  private live = 0;
  /** Called when the last live slot is freed (binArena() then lets this arena go, unless it is used again soon). */
  onEmpty?: () => void;

  get liveSlots(): number {
    return this.live;
  }

  constructor(
    readonly memory: WasmMemory,
    private readonly kernel: BinFunction,
    private readonly maxBytes = MAX_BYTES,
    /** Whether the kernel is the SIMD build (bin-kernel-module.ts). */
    readonly simd = false,
  ) {}

  /** A zeroed slot of `length` float64, returned to the free list when `owner` is collected; undefined when the arena is full (the histogram then keeps a plain array). */
  alloc(length: number, owner: object): BinSlot | undefined {
    const offset = this.takeZeroed(length * 8);
    if (offset < 0) return undefined;
    const slot = new BinSlot(this, offset, length);
    this.released.register(owner, slot, slot);
    this.live++;
    return slot;
  }

  /** Frees `slot` now (its histogram moved to a plain array). */
  release(slot: BinSlot): void {
    this.released.unregister(slot);
    this.freeSlot(slot);
  }

  private freeSlot(slot: BinSlot): void {
    this.freeBytes(slot.offset, slot.length * 8);
    if (--this.live === 0) this.onEmpty?.();
  }

  /**
   * Gives `slot` a new zeroed place of the same length and frees the old one (a re-bin
   * writes the new bins from the old): views of both, valid until the next growth.
   * Undefined when the arena is full; the slot is then unchanged.
   */
  moveTo(slot: BinSlot): { old: Float64Array; fresh: Float64Array } | undefined {
    const oldOffset = slot.offset;
    const offset = this.takeZeroed(slot.length * 8);
    if (offset < 0) return undefined;
    slot.offset = offset;
    const buffer = this.memory.buffer;
    const old = new Float64Array(buffer, oldOffset, slot.length);
    const fresh = slot.view();
    this.freeBytes(oldOffset, slot.length * 8);
    return { old, fresh };
  }

  /**
   * Copies data[from, …) to the staging area and returns where data[0] would be (the
   * staging area's byte offset − 4·from: the kernel reads data + 4·i only for i ≥ from;
   * an i32 address, so it may be negative), or undefined when the arena is full (bin in
   * JavaScript then). Only the part still to bin is copied: a batch that stopped for a
   * re-range is staged again from where it stopped. The memory may grow: views made
   * before are stale.
   */
  stage(data: Float32Array, from = 0): number | undefined {
    const rest = data.subarray(from);
    const bytes = aligned(rest.length * 4);
    if (bytes > this.stagingBytes) {
      const offset = this.take(bytes);
      if (offset < 0) return undefined;
      if (this.stagingBytes > 0) this.freeBytes(this.stagingOffset, this.stagingBytes);
      [this.stagingOffset, this.stagingBytes] = [offset, bytes];
    }
    const buffer = this.memory.buffer;
    if (this.stagingView?.buffer !== buffer || this.stagingView.byteOffset !== this.stagingOffset) {
      this.stagingView = new Float32Array(buffer, this.stagingOffset, this.stagingBytes / 4);
    }
    this.stagingView.set(rest);
    return this.stagingOffset - 4 * from;
  }

  /** The kernel (bin-kernel-module.ts) on data staged by `stage` and a slot. */
  bin(staged: number, len: number, from: number, slot: BinSlot, w: number, start: number, numBins: number, hi: number, lo: number): number {
    return this.kernel(staged, len, from, slot.offset, 1 / w, start, w, start * w, hi, lo, numBins);
  }

  /** Bytes the memory holds (it only grows). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * A zeroed place of `size` bytes, or −1. Only a reused place is zeroed here: memory the
   * arena grows into is zero already, and touching it would make every page of a 256 KiB
   * histogram resident (and pay a page fault each, ~15 µs on some VMs) where a layer's
   * values use only some of its bins.
   */
  private takeZeroed(size: number): number {
    const top = this.top;
    const offset = this.take(size);
    if (offset >= 0 && offset < top) new Uint8Array(this.memory.buffer, offset, aligned(size)).fill(0);
    return offset;
  }

  /** A free place of `size` bytes (rounded up to ALIGN), or −1 past MAX_BYTES or when the memory cannot grow. */
  private take(size: number): number {
    const bytes = aligned(size);
    const reused = this.free.get(bytes)?.pop();
    if (reused !== undefined) return reused;
    const offset = this.top;
    if (offset + bytes > this.maxBytes || !reserveBytes(this.memory, offset + bytes)) return -1;
    this.top = offset + bytes;
    return offset;
  }

  private freeBytes(offset: number, size: number): void {
    const bytes = aligned(size);
    let list = this.free.get(bytes);
    if (!list) this.free.set(bytes, (list = []));
    list.push(offset);
  }
}

let shared: BinArena | null | undefined;
/** How long an empty arena is kept for the next histogram. */
const LET_GO_MS = 2000;

/**
 * This thread's arena, or undefined where WebAssembly is missing or AMCT_WASM_BINNING=0
 * (bin in JavaScript). 2 s after its last histogram is freed the arena is let go, so a
 * process does not keep a calibration's histograms' memory (a WebAssembly memory cannot
 * shrink); the next histogram makes a new one.
 */
export function binArena(): BinArena | undefined {
  if (shared === undefined) {
    const arena = makeArena();
    if (arena) arena.onEmpty = () => letGoLater(arena);
    shared = arena ?? null;
  }
  return shared ?? undefined;
}

/**
 * Lets `arena` go if it is still empty LET_GO_MS later: during a calibration the layers
 * move between threads and an arena may empty for a moment; a new one would pay its fresh
 * pages again (~15 µs each on some VMs). The timer does not keep the process alive.
 */
function letGoLater(arena: BinArena): void {
  setTimeout(() => {
    if (shared === arena && arena.liveSlots === 0) shared = undefined;
  }, LET_GO_MS).unref();
}

/** The arena binArena() hands out now, if one exists (tests: it is let go when empty). */
export function currentBinArena(): BinArena | undefined {
  return shared ?? undefined;
}

function makeArena(): BinArena | undefined {
  return process.env.AMCT_WASM_BINNING === '0' ? undefined : newBinArena();
}

/** The kernel's modules, each compiled once per process (each arena has an instance of its own). */
const simdModule = compileOnce(() => moduleBytes(binKernelSimd));
const scalarModule = compileOnce(() => moduleBytes(binKernelScalar));

/**
 * A new arena of at most `maxBytes` (binArena() is the one to use; tests make small ones),
 * or undefined without WebAssembly. Its kernel is the SIMD build where the engine has
 * WebAssembly SIMD, else (or with `simd: false`) the scalar one; both bin the same.
 */
export function newBinArena(maxBytes = MAX_BYTES, options: { simd?: boolean } = {}): BinArena | undefined {
  const simd = options.simd !== false ? simdModule() : undefined;
  const instance = instanceOnNewMemory(simd ?? scalarModule());
  return instance && new BinArena(instance.memory, instance.exports.bin as BinFunction, maxBytes, simd !== undefined);
}
