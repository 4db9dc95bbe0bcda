/**
 * Task metrics: float vs INT8 in the terms the model's caller uses, decoded as
 * @vladmandic/human decodes each output (see models-human.ts for which output is what).
 *
 * - probabilities: cosine of the per-input probability vectors (softmax/sigmoid applied
 *   where the graph leaves logits), and the share of inputs taking the same decision;
 * - landmarks: mean distance in input pixels between float and INT8 points;
 * - embeddings: cosine of the descriptors (what face matching compares);
 * - detections: boxes decoded and filtered like the caller does, matched by IoU.
 *
 * A task metric gets every output of the model (float and INT8, in the spec's output
 * order, all held-out inputs stacked) and returns results, the first one being the
 * model's headline number (the one auto calibration targets).
 */
import { Detection, matchDetections } from './detections';
import { argmax, rowCosines, summarize } from './metrics';

export interface TaskResult {
  /** What is measured, e.g. "mesh landmarks (192 px input)". */
  name: string;
  value: number;
  /** 'cosine', 'px', 'share', 'years'... */
  unit: string;
  /** Lower is better for errors (px), higher for agreements (cosine, share). */
  better: 'higher' | 'lower';
  /** Secondary numbers, printed after the value. */
  detail: string;
  /** What the float model itself gives, when more than the trivial reference (1, 0 px). */
  reference?: string;
}

/** Float outputs, INT8 outputs (spec order) and the number of inputs stacked in each. */
export interface TaskInputs {
  f: Float32Array[];
  q: Float32Array[];
  rows: number;
}

export type TaskMetric = (outputs: TaskInputs) => TaskResult[];

/** What auto calibration must reach: result `index` of the model's task metric against `threshold`. */
export interface AutoTarget {
  index: number;
  /** Cosine or share at least this (better: higher), or error at most this (better: lower). */
  threshold: number;
}

export const sigmoid = (x: ArrayLike<number>): Float32Array => Float32Array.from(x, (v) => 1 / (1 + Math.exp(-v)));

const f3 = (x: number) => x.toFixed(3);

/**
 * Per-input cosine of probability vectors, and how often the decision is the same
 * (arg-max). A single probability per input (a sigmoid score) has no meaningful cosine:
 * its headline is the mean |Δp| and its decision the side of 0.5.
 */
export function probabilities(name: string, f: ArrayLike<number>, q: ArrayLike<number>, rows: number): TaskResult {
  const n = f.length / rows;
  if (n === 1) {
    const score = scoreDelta(name, f, q);
    const same = Array.from(f, (v, i) => (v >= 0.5) === (q[i] >= 0.5)).filter(Boolean).length;
    return { ...score, detail: `${score.detail}; same side of 0.5 ${same}/${rows}` };
  }
  const cos = summarize(rowCosines(f, q, rows));
  let same = 0;
  let delta = 0;
  for (let r = 0; r < rows; r++) {
    const a = r * n;
    if (argmax(f, a, a + n) === argmax(q, a, a + n)) same++;
    for (let i = a; i < a + n; i++) delta = Math.max(delta, Math.abs(f[i] - q[i]));
  }
  return { name, value: cos.mean, unit: 'cosine', better: 'higher', detail: `min ${f3(cos.min)}; same arg-max ${same}/${rows}; max |Δp| ${f3(delta)}` };
}

/** Mean |Δ| of single-value scores (one per input), e.g. a face or hand confidence. */
export function scoreDelta(name: string, f: ArrayLike<number>, q: ArrayLike<number>): TaskResult {
  const d = Array.from(f, (v, i) => Math.abs(v - q[i]));
  const s = summarize(d);
  return { name, value: s.mean, unit: '|Δp|', better: 'lower', detail: `max ${f3(Math.max(...d))}` };
}

export interface LandmarkLayout {
  /** Values per point (2 for x,y; 3 for x,y,z). */
  stride: number;
  /** Offsets of x and y within a point (movenet stores y first). */
  x: number;
  y: number;
  /** Multiplies stored coordinates into input pixels (1 when already pixels). */
  scale: number;
  /** Optional per-point weight: only points where the float model is confident count. */
  keep?: (row: number, point: number) => boolean;
}

/** Euclidean distance in input pixels between float and INT8 points: mean, per-input worst mean, max. */
export function landmarks(name: string, f: ArrayLike<number>, q: ArrayLike<number>, rows: number, l: LandmarkLayout): TaskResult {
  const points = f.length / rows / l.stride;
  const perRow: number[] = [];
  const every: number[] = [];
  let all = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let n = 0;
    for (let p = 0; p < points; p++) {
      if (l.keep && !l.keep(r, p)) continue;
      const at = (r * points + p) * l.stride;
      const d = l.scale * Math.hypot(f[at + l.x] - q[at + l.x], f[at + l.y] - q[at + l.y]);
      sum += d;
      n++;
      every.push(d);
    }
    if (n > 0) perRow.push(sum / n);
    all += sum;
    count += n;
  }
  const worstRow = perRow.length ? Math.max(...perRow) : 0;
  every.sort((a, b) => a - b);
  const at = (p: number) => (every.length ? every[Math.min(every.length - 1, Math.floor(p * every.length))] : 0);
  return {
    name,
    value: count ? all / count : 0,
    unit: 'px',
    better: 'lower',
    detail: `median ${f3(at(0.5))}, p95 ${f3(at(0.95))}, max ${f3(at(1))} px; worst input ${f3(worstRow)} px; ${count} points`,
  };
}

export function embeddings(name: string, f: ArrayLike<number>, q: ArrayLike<number>, rows: number): TaskResult {
  const cos = summarize(rowCosines(f, q, rows));
  return { name, value: cos.mean, unit: 'cosine', better: 'higher', detail: `min ${cos.min.toFixed(4)}` };
}

/** Detections of both models on every input, matched at IoU ≥ 0.5: headline is the share of float detections INT8 finds. */
export function detections(name: string, floatDets: Detection[][], int8Dets: Detection[][]): TaskResult {
  const m = matchDetections(floatDets, int8Dets, 0.5);
  const recall = m.floatCount ? m.matched / m.floatCount : 1;
  return {
    name,
    value: recall,
    unit: 'matched',
    better: 'higher',
    detail: `${m.matched}/${m.floatCount} float detections matched (INT8 has ${m.int8Count}); mean IoU ${f3(m.meanIou)}; mean |Δscore| ${f3(m.meanScoreDelta)}`,
    reference: `${m.floatCount} detections on ${floatDets.length} inputs`,
  };
}

/** Row `r` of a stacked output as its own array. */
export function row(data: Float32Array, rows: number, r: number): Float32Array {
  const n = data.length / rows;
  return data.subarray(r * n, (r + 1) * n);
}
