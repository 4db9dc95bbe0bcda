/**
 * Float-vs-INT8 agreement measures. Cosine is taken per sample (one row of an output,
 * flattened), then averaged, so one badly quantized input shows in the minimum instead
 * of being hidden inside a single big dot product.
 */

/** Cosine of two equal-length vectors; 1 when both are all zero (identical), 0 when only one is. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>, start = 0, end = a.length): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = start; i < end; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** Cosine of each of `rows` equal slices. */
export function rowCosines(a: ArrayLike<number>, b: ArrayLike<number>, rows: number): number[] {
  if (a.length !== b.length || a.length % rows !== 0) throw new Error(`rowCosines: ${a.length} vs ${b.length} values for ${rows} rows`);
  const n = a.length / rows;
  return Array.from({ length: rows }, (_, r) => cosine(a, b, r * n, (r + 1) * n));
}

export function argmax(values: ArrayLike<number>, start: number, end: number): number {
  let best = start;
  for (let i = start + 1; i < end; i++) if (values[i] > values[best]) best = i;
  return best - start;
}

/** Mean |a − b| over every value: in the output's own units (pixels for landmarks). */
export function meanAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return a.length === 0 ? 0 : sum / a.length;
}

/** Share of rows whose largest entry is at the same index in both. */
export function top1Agreement(a: ArrayLike<number>, b: ArrayLike<number>, rows: number): number {
  const n = a.length / rows;
  let same = 0;
  for (let r = 0; r < rows; r++) if (argmax(a, r * n, (r + 1) * n) === argmax(b, r * n, (r + 1) * n)) same++;
  return same / rows;
}

export interface CosineSummary {
  mean: number;
  min: number;
}

export function summarize(values: number[]): CosineSummary {
  return { mean: values.reduce((s, v) => s + v, 0) / values.length, min: Math.min(...values) };
}

/** Concatenates per-batch outputs into one array (batches stacked along axis 0). */
export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
