/**
 * An evaluator for accuracyBasedAutoCalibration on a classifier with labels: top-1
 * accuracy on a held-out set, accepted when it drops by at most `maxDrop` (AMCT's sample
 * accepts a drop of 1 %). Used by docs/accuracy-tools.md and its test on the MNIST CNN.
 */
import * as amct from '../../src';

export interface LabeledBatch {
  feeds: amct.Feeds;
  /** One label per image of the batch, in order. */
  labels: ArrayLike<number>;
}

export interface ClassifierEvaluatorSpec {
  /** The output holding the class scores (logits or probabilities), [batch, classes]. */
  output: string;
  /** The calibration batches (batch_num of them, as the config says). */
  calibration: amct.Feeds[];
  heldOut: LabeledBatch[];
  /** Largest accepted drop of accuracy, as a fraction (0.01 = one point). */
  maxDrop: number;
  backend?: amct.BackendName;
}

export class ClassifierAccuracyEvaluator implements amct.AutoCalibrationEvaluator {
  constructor(private readonly spec: ClassifierEvaluatorSpec) {}

  async calibration(graph: amct.Graph, outputs: string[]): Promise<void> {
    const session = await amct.Session.create(graph, { backend: this.spec.backend });
    try {
      for (const feeds of this.spec.calibration) await session.run(outputs, feeds);
    } finally {
      session.dispose();
    }
  }

  async evaluate(graph: amct.Graph): Promise<number> {
    const session = await amct.Session.create(graph, { backend: this.spec.backend });
    let correct = 0;
    let count = 0;
    try {
      for (const { feeds, labels } of this.spec.heldOut) {
        const scores = await session.run(this.spec.output, feeds);
        const classes = scores.shape[scores.shape.length - 1];
        for (let i = 0; i < labels.length; i++) if (argmax(scores.data as Float32Array, i * classes, classes) === labels[i]) correct++;
        count += labels.length;
      }
    } finally {
      session.dispose();
    }
    return correct / count;
  }

  metricEval(original: number, current: number): [boolean, number] {
    const drop = original - current;
    return [drop <= this.spec.maxDrop, drop];
  }
}

function argmax(values: Float32Array, start: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (values[start + c] > values[start + best]) best = c;
  return best;
}
