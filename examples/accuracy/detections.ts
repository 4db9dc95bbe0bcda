/**
 * Detections as the shipping library reads them, and float-vs-INT8 agreement of two
 * detection lists: greedy IoU matching (same class), then recall of the float
 * detections, INT8 detections that float does not have, score and box differences.
 */

/** An axis-aligned box in the model's own units (pixels or fractions), with score and class. */
export interface Detection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  cls: number;
}

function iou(a: Detection, b: Detection): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** tf.image.nonMaxSuppression's greedy rule: best score first, drop boxes overlapping a kept one. */
export function nonMaxSuppression(dets: Detection[], maxOut: number, iouThreshold: number, scoreThreshold: number): Detection[] {
  const sorted = dets.filter((d) => d.score >= scoreThreshold).sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.length >= maxOut) break;
    if (kept.every((k) => iou(k, d) <= iouThreshold)) kept.push(d);
  }
  return kept;
}

export interface DetectionAgreement {
  /** Float detections over all inputs. */
  floatCount: number;
  int8Count: number;
  /** Float detections with an INT8 detection of the same class at IoU ≥ `minIou`. */
  matched: number;
  /** Mean IoU of the matched pairs. */
  meanIou: number;
  /** Mean |score_float − score_INT8| of the matched pairs. */
  meanScoreDelta: number;
}

/** Greedy matching per input: float detections by score, each to the best free INT8 one. */
export function matchDetections(floatDets: Detection[][], int8Dets: Detection[][], minIou = 0.5): DetectionAgreement {
  let matched = 0;
  let iouSum = 0;
  let scoreSum = 0;
  floatDets.forEach((fs, i) => {
    const free = [...int8Dets[i]];
    for (const f of [...fs].sort((a, b) => b.score - a.score)) {
      let best = -1;
      let bestIou = minIou;
      free.forEach((q, j) => {
        const v = q.cls === f.cls ? iou(f, q) : 0;
        if (v >= bestIou) [best, bestIou] = [j, v];
      });
      if (best < 0) continue;
      matched++;
      iouSum += bestIou;
      scoreSum += Math.abs(f.score - free[best].score);
      free.splice(best, 1);
    }
  });
  return {
    floatCount: floatDets.reduce((s, d) => s + d.length, 0),
    int8Count: int8Dets.reduce((s, d) => s + d.length, 0),
    matched,
    meanIou: matched ? iouSum / matched : 1,
    meanScoreDelta: matched ? scoreSum / matched : 0,
  };
}
