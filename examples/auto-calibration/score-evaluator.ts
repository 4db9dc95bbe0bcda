/**
 * An evaluator for accuracyBasedAutoCalibration when there are no labels: how close the
 * quantized model's scores stay to the float model's, per image. For each held-out image
 * the chosen outputs (passed through a sigmoid for logit heads such as BlazeFace's face
 * scores, as the caller of the model does) are concatenated, and the cosine with the
 * float model's is taken; the metric is the mean over images. Accepted at `target`.
 *
 * Used by the BlazeFace test, the benchmark and docs/accuracy-tools.md.
 */
import * as amct from '../../src';

export interface ScoreEvaluatorSpec {
  /** Outputs scored, e.g. BlazeFace's two score grids. */
  scored: string[];
  /** Apply 1/(1+e^−x) first (logit outputs). */
  sigmoid?: boolean;
  /** The calibration batches (batch_num of them, as the config says). */
  calibration: amct.Feeds[];
  /** Held-out batches the metric is measured on. */
  heldOut: amct.Feeds[];
  /** Accepted when the mean cosine reaches this. */
  target: number;
  backend?: amct.BackendName;
}

/** The scored outputs of one held-out batch, and how many images it holds. */
interface BatchScores {
  images: number;
  outputs: Float32Array[];
}

export class ScoreCosineEvaluator implements amct.AutoCalibrationEvaluator {
  private reference?: BatchScores[];
  /** Calls of evaluate, for the benchmark. */
  evaluations = 0;

  constructor(private readonly spec: ScoreEvaluatorSpec) {}

  /** Runs the float model once for the reference scores. Call before the auto calibration. */
  async prepare(modelFile: string): Promise<this> {
    this.reference = await this.scores(await amct.loadGraph(modelFile));
    return this;
  }

  async calibration(graph: amct.Graph, outputs: string[]): Promise<void> {
    const session = await amct.Session.create(graph, { backend: this.spec.backend });
    try {
      for (const feeds of this.spec.calibration) await session.run(outputs, feeds);
    } finally {
      session.dispose();
    }
  }

  async evaluate(graph: amct.Graph): Promise<number> {
    if (!this.reference) throw new Error('call prepare(modelFile) before the auto calibration');
    this.evaluations++;
    const got = await this.scores(graph);
    const cosines = got.flatMap((batch, b) => imageCosines(this.reference![b], batch));
    return cosines.reduce((s, c) => s + c, 0) / cosines.length;
  }

  metricEval(original: number, current: number): [boolean, number] {
    return [current >= this.spec.target, original - current];
  }

  /** Per held-out batch, the scored outputs (sigmoid applied if asked). */
  private async scores(graph: amct.Graph): Promise<BatchScores[]> {
    const session = await amct.Session.create(graph, { backend: this.spec.backend });
    try {
      const out: BatchScores[] = [];
      for (const feeds of this.spec.heldOut) {
        const fetched = await session.run(this.spec.scored, feeds);
        const outputs = fetched.map((t) => (this.spec.sigmoid ? sigmoid(t.data as Float32Array) : (t.data as Float32Array)));
        out.push({ images: fetched[0].shape[0] ?? 1, outputs });
      }
      return out;
    } finally {
      session.dispose();
    }
  }
}

function sigmoid(x: Float32Array): Float32Array {
  return x.map((v) => 1 / (1 + Math.exp(-v)));
}

/** Cosine per image of the concatenated outputs (image r is row r of every output). */
function imageCosines(a: BatchScores, b: BatchScores): number[] {
  const n = a.images;
  const dot = new Float64Array(n);
  const na = new Float64Array(n);
  const nb = new Float64Array(n);
  a.outputs.forEach((x, o) => {
    const y = b.outputs[o];
    const per = x.length / n;
    for (let i = 0; i < x.length; i++) {
      const r = Math.floor(i / per);
      dot[r] += x[i] * y[i];
      na[r] += x[i] * x[i];
      nb[r] += y[i] * y[i];
    }
  });
  return Array.from(dot, (d, r) => (na[r] === 0 && nb[r] === 0 ? 1 : na[r] === 0 || nb[r] === 0 ? 0 : d / Math.sqrt(na[r] * nb[r])));
}
