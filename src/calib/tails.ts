/**
 * Exact top-k of a stream in bounded memory. IFMR's percentiles are order statistics a
 * few ranks from the ends (rank ≈ (1 − p)·N), so keeping the k largest values answers
 * them exactly without storing the rest.
 */
import { selectKth } from './select';

/** A TopK between batches, as plain data (TopK.state, and the constructor's `from`). */
export interface TopKState {
  capacity: number;
  buf: Float32Array;
  saved: Float32Array;
  len: number;
  threshold: number;
  dropped: boolean;
}

export class TopK {
  private readonly buf: Float32Array;
  private len = 0;
  /** Values ≤ threshold can no longer be among the `capacity` largest. */
  private threshold = -Infinity;
  /** True once values were dropped, i.e. ranks beyond `capacity` are unknown. */
  private dropped = false;
  /** State at `mark()`, for `rollback()`; the buffer's marked prefix is copied only when a
   * compaction would overwrite it. */
  private readonly saved: Float32Array;
  private mark_ = { len: -1, threshold: -Infinity, dropped: false, copied: false };

  /** `from`: a TopK's `state()`, to go on from (its arrays are taken over). */
  constructor(
    readonly capacity: number,
    from?: TopKState,
  ) {
    // Twice the capacity: compaction then runs at most once per `capacity` insertions,
    // which keeps insertion O(1) amortised.
    this.buf = from?.buf ?? new Float32Array(2 * capacity);
    this.saved = from?.saved ?? new Float32Array(2 * capacity);
    if (from) {
      this.len = from.len;
      this.threshold = from.threshold;
      this.dropped = from.dropped;
    }
  }

  /** Its contents between batches, for another thread to go on with (the arrays are shared, not copied). */
  state(): TopKState {
    return { capacity: this.capacity, buf: this.buf, saved: this.saved, len: this.len, threshold: this.threshold, dropped: this.dropped };
  }

  /** Remembers the current contents (before a batch), so `rollback` can restore them. */
  mark(): void {
    this.mark_ = { len: this.len, threshold: this.threshold, dropped: this.dropped, copied: false };
  }

  /** Back to the contents at the last `mark()`, exactly. */
  rollback(): void {
    const m = this.mark_;
    if (m.len < 0) return;
    if (m.copied) this.buf.set(this.saved.subarray(0, m.len));
    this.len = m.len;
    this.threshold = m.threshold;
    this.dropped = m.dropped;
  }

  /** Offers every value of `data` (negated when `negate`, to track the smallest). */
  offerAll(data: Float32Array, negate: boolean): void {
    const buf = this.buf;
    let thr = this.threshold;
    for (let i = 0; i < data.length; i++) {
      const x = negate ? -data[i] : data[i];
      if (x > thr) {
        buf[this.len++] = x;
        if (this.len === buf.length) thr = this.compact();
      }
    }
  }

  /** Values ≤ this can no longer be kept: a fused loop offers only values above it, with `push`. */
  get limit(): number {
    return this.threshold;
  }

  /** Adds one value above `limit` (what offerAll does per value); returns the new limit. */
  push(x: number): number {
    this.buf[this.len++] = x;
    return this.len === this.buf.length ? this.compact() : this.threshold;
  }

  /** Keeps the `capacity` largest at the front; returns the new threshold. */
  private compact(): number {
    const m = this.mark_;
    if (m.len > 0 && !m.copied) {
      this.saved.set(this.buf.subarray(0, m.len));
      m.copied = true;
    }
    const keepFrom = this.len - this.capacity;
    const view = this.buf.subarray(0, this.len);
    this.threshold = selectKth(view, keepFrom);
    this.buf.copyWithin(0, keepFrom, this.len);
    this.len = this.capacity;
    this.dropped = true;
    return this.threshold;
  }

  /**
   * The r-th largest value offered (r = 1 is the max), or undefined when it was not kept.
   * Exact: the buffer holds every value above the threshold plus at least `capacity`
   * values ≥ it, so ranks up to `capacity` are those of the whole stream (values equal to
   * the threshold that were turned away cannot change any rank ≤ capacity).
   */
  rankFromTop(r: number): number | undefined {
    if (r < 1 || r > (this.dropped ? this.capacity : this.len)) return undefined;
    const copy = this.buf.slice(0, this.len);
    return selectKth(copy, this.len - r);
  }

  /**
   * The values whose ranks are known, largest first: the whole stream while nothing was
   * dropped, else its `capacity` largest (the DMQ balancer merges channels' tails with it).
   */
  known(): Float32Array {
    const sorted = this.buf.slice(0, this.len).sort().reverse();
    return this.dropped ? sorted.subarray(0, this.capacity) : sorted;
  }

  get bytes(): number {
    return this.buf.byteLength + this.saved.byteLength;
  }
}
