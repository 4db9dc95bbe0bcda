/**
 * Top-1 accuracy of a classifier over NHWC images, batch by batch. Takes either a
 * Session (anything with `run(fetches, feeds)`: the float graph, the calibration graph
 * or the quantized one) or a plain predict function, so the float check, the tfjs
 * reference and the quantization example all count the same way.
 */
export type PredictFn = (batch: Float32Array, shape: number[]) => Promise<ArrayLike<number>> | ArrayLike<number>;

/** What evaluateAccuracy needs of a Session. */
export interface RunsGraph {
  run(fetches: string[], feeds: Record<string, { data: Float32Array; shape: number[] }>): Promise<unknown>;
}

export interface AccuracyResult {
  accuracy: number;
  correct: number;
  count: number;
  /** count × classes, the model's outputs in image order. */
  probabilities: Float32Array;
}

export interface EvaluateOptions {
  /** Placeholder fed with the images (default "input"). */
  inputName?: string;
  /** Image height, width, channels (default 28, 28, 1). */
  imageShape?: [number, number, number];
}

/** Index of the largest value in row `row` of a row-major matrix with `cols` columns. */
export function argmaxRow(values: ArrayLike<number>, row: number, cols: number): number {
  let best = 0;
  for (let c = 1; c < cols; c++) if (values[row * cols + c] > values[row * cols + best]) best = c;
  return best;
}

/** The first fetched tensor's values, whatever container the session returned. */
async function valuesOf(result: unknown, outputName: string): Promise<ArrayLike<number>> {
  let out = result;
  if (Array.isArray(out)) out = out[0];
  else if (out instanceof Map) out = out.get(outputName);
  else if (out && typeof out === 'object' && !ArrayBuffer.isView(out) && outputName in out) out = (out as Record<string, unknown>)[outputName];
  const t = out as { data?: unknown; dispose?: () => void };
  // a Session's FetchedTensor: { name, data: Float32Array, shape, dtype }
  if (t && ArrayBuffer.isView(t.data)) return t.data as unknown as ArrayLike<number>;
  // a tf.Tensor (Session.run with { as: 'tensor' }): read it, then release it
  if (t && typeof t.data === 'function') {
    const values = await (t.data as () => Promise<ArrayLike<number>>)();
    t.dispose?.();
    return values;
  }
  if (ArrayBuffer.isView(out)) return out as unknown as ArrayLike<number>;
  throw new Error(`evaluateAccuracy: cannot read the values of fetch "${outputName}"`);
}

export async function evaluateAccuracy(
  model: RunsGraph | PredictFn,
  outputName: string,
  images: Float32Array,
  labels: ArrayLike<number>,
  batchSize = 100,
  options: EvaluateOptions = {},
): Promise<AccuracyResult> {
  const [h, w, c] = options.imageShape ?? [28, 28, 1];
  const inputName = options.inputName ?? 'input';
  const pixels = h * w * c;
  const count = labels.length;
  if (images.length !== count * pixels) throw new Error(`evaluateAccuracy: ${images.length} pixels for ${count} images of ${h}×${w}×${c}`);
  const predict: PredictFn = typeof model === 'function'
    ? model
    : (batch, shape) => model.run([outputName], { [inputName]: { data: batch, shape } }).then((r) => valuesOf(r, outputName));
  let probabilities: Float32Array | undefined;
  let classes = 0;
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const out = await predict(images.subarray(start * pixels, (start + n) * pixels), [n, h, w, c]);
    if (!probabilities) {
      classes = out.length / n;
      probabilities = new Float32Array(count * classes);
    }
    probabilities.set(out, start * classes);
    for (let i = 0; i < n; i++) if (argmaxRow(out, i, classes) === labels[start + i]) correct++;
  }
  return { accuracy: count === 0 ? 0 : correct / count, correct, count, probabilities: probabilities ?? new Float32Array(0) };
}
