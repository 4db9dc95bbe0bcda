/**
 * Float vs INT8 on a model's held-out crops: per output tensor, the cosine of each
 * sample's output (mean and worst), and top-1 agreement for class-score outputs.
 */
import * as amct from '../../src';
import { concat, meanAbsError, rowCosines, summarize, top1Agreement } from './metrics';
import { ModelSpec } from './models';
import { batchOf, chunks } from './quantize';
import { TaskResult } from './tasks';

export interface OutputAgreement {
  output: string;
  meanCosine: number;
  minCosine: number;
  /** Mean |float − INT8| over all values, in the output's units. */
  meanAbsError: number;
  /** Share of samples with the same arg-max; only for class-score outputs. */
  top1?: number;
}

/** Every output of `session` on every held-out crop, batch by batch, concatenated per output. */
export async function outputsOf(spec: ModelSpec, session: amct.Session): Promise<Float32Array[]> {
  const parts: Float32Array[][] = spec.outputs.map(() => []);
  for (const part of chunks(spec.heldOut(), spec.maxBatch)) {
    const fetched = await session.run(spec.outputs, { [spec.input]: await batchOf(spec, part) });
    fetched.forEach((t, i) => parts[i].push(t.data as Float32Array));
  }
  return parts.map(concat);
}

function agreement(spec: ModelSpec, output: string, f: Float32Array, q: Float32Array, rows: number): OutputAgreement {
  const cos = summarize(rowCosines(f, q, rows));
  const result: OutputAgreement = { output, meanCosine: cos.mean, minCosine: cos.min, meanAbsError: meanAbsError(f, q) };
  if (spec.classifiers.includes(output)) result.top1 = top1Agreement(f, q, rows);
  return result;
}

const sigmoid = (x: Float32Array) => x.map((v) => 1 / (1 + Math.exp(-v)));

export interface Comparison {
  outputs: OutputAgreement[];
  /** The model's task metric (spec.task), empty when it has none. */
  task: TaskResult[];
}

export async function compareOutputs(spec: ModelSpec, floatS: amct.Session, int8S: amct.Session): Promise<Comparison> {
  const rows = spec.heldOut().length;
  const f = await outputsOf(spec, floatS);
  const q = await outputsOf(spec, int8S);
  const out: OutputAgreement[] = [];
  spec.outputs.forEach((output, i) => {
    out.push(agreement(spec, output, f[i], q[i], rows));
    if (spec.sigmoid?.includes(output)) out.push({ ...agreement(spec, output, sigmoid(f[i]), sigmoid(q[i]), rows), output: `${output} (sigmoid)` });
  });
  return { outputs: out, task: spec.task ? spec.task({ f, q, rows }) : [] };
}
