/**
 * Float-vs-quantized error measures from the sums AmctErrorSums accumulates over every
 * batch (a = float reference, b = quantized): cosine similarity, SQNR in dB
 * (10·log10(Σa² / Σ(a−b)²), higher is better; Infinity when identical) and relative L2
 * error (√(Σ(a−b)² / Σa²)). Pure maths: no tfjs, no graph.
 */

export interface ErrorMetrics {
  cosine: number;
  sqnrDb: number;
  relL2: number;
}

/** [Σab, Σa², Σb², Σ(a−b)², count], as the kernel's state holds them. */
export type ErrorSums = readonly number[];

function cosineOf(ab: number, aa: number, bb: number): number {
  if (aa === 0 && bb === 0) return 1; // both all zero: identical
  if (aa === 0 || bb === 0) return 0;
  // Rounding can push a perfect match a hair above 1.
  return Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)));
}

export function metricsFromSums(sums: ErrorSums): ErrorMetrics {
  const [ab, aa, bb, dd] = sums;
  const sqnrDb = dd === 0 ? Infinity : aa === 0 ? -Infinity : 10 * Math.log10(aa / dd);
  const relL2 = dd === 0 ? 0 : aa === 0 ? Infinity : Math.sqrt(dd / aa);
  return { cosine: cosineOf(ab, aa, bb), sqnrDb, relL2 };
}

/**
 * Most sensitive first: lowest cosine, then lowest SQNR; NaN (a layer whose values were
 * not finite) counts as the worst of all, so it cannot hide at the end of the list.
 */
export function compareSensitivity(a: ErrorMetrics, b: ErrorMetrics): number {
  const key = (m: ErrorMetrics): [number, number] => [Number.isNaN(m.cosine) ? -Infinity : m.cosine, Number.isNaN(m.sqnrDb) ? -Infinity : m.sqnrDb];
  const [ca, sa] = key(a);
  const [cb, sb] = key(b);
  if (ca !== cb) return ca - cb;
  if (sa === sb) return 0;
  return sa < sb ? -1 : 1;
}
