/**
 * One row of the accuracy report: quantize a model, compare the INT8 model with the float
 * one on held-out inputs, and, when an output falls short of the cosine target (or when
 * asked), name the layers that lose the most.
 */
import * as amct from '../../src';
import { gather, loadDigits, PIXELS } from '../mnist/data';
import { INPUT as MNIST_INPUT, MNIST_MODEL, OUTPUT as MNIST_OUTPUT, runMnistQuantization } from '../mnist/quantize';
import { compareOutputs, Comparison, OutputAgreement } from './compare';
import { diagnoseLayers, LayerLoss } from './layers';
import { concat, meanAbsError, rowCosines, summarize, top1Agreement } from './metrics';
import { ModelSpec } from './models';
import { quantize, Variant } from './quantize';
import { TaskResult } from './tasks';

/** SPEC's target for classifiers; below it the report names the worst layers. */
export const COSINE_TARGET = 0.99;

export interface EvaluateOptions {
  outDir: string;
  backend?: amct.BackendName;
  variant?: Variant;
  /** Per-layer diagnosis: 'auto' (default) only when an output is below COSINE_TARGET. */
  diagnose?: boolean | 'auto';
  /** How many worst layers to keep (default 5). */
  worst?: number;
}

export interface AccuracyRow {
  model: string;
  variant: string;
  quantizedLayers: number;
  heldOut: number;
  outputs: OutputAgreement[];
  /** The model's task metric, float vs INT8 (first = headline); empty for MNIST. */
  task: TaskResult[];
  /** Layers left in float (the variant's skips, or what auto calibration chose). */
  floatLayers?: string[];
  /** Auto calibration: layers its balancer step left DMQ-balanced in the model written. */
  balancedLayers?: string[];
  /** MNIST only: top-1 accuracy on all labeled digits, and on the held-out ones (never trained on). */
  accuracy?: { float: number; int8: number; count: number; floatHeldOut: number; int8HeldOut: number };
  worstLayers?: LayerLoss[];
  seconds: number;
}

export function describeVariant(v: Variant = {}): string {
  const parts = [(v.actAlgo ?? 'ifmr').toUpperCase()];
  if (v.percentile !== undefined) parts.push(`percentile ${v.percentile}`);
  if (v.skipLayers?.length) parts.push(`skip ${v.skipLayers.length}`);
  if (v.dmqBalancer !== undefined) parts.push(`DMQ balancer α ${v.dmqBalancer}`);
  const per = Object.entries(v.dmqLayers ?? {});
  if (per.length) parts.push(`DMQ balancer on ${per.map(([l, a]) => `${l.split('/').slice(-2).join('/')} α ${a}`).join(', ')}`);
  return parts.join(', ');
}

export async function evaluateModel(spec: ModelSpec, options: EvaluateOptions): Promise<AccuracyRow> {
  const started = Date.now();
  const files = await quantize(spec, options.outDir, options.backend, options.variant);
  const floatS = await amct.Session.create(await amct.loadGraph(files.model), { backend: options.backend });
  const int8S = await amct.Session.create(await amct.loadGraph(files.quantizedPb), { backend: options.backend });
  let comparison: Comparison;
  try {
    comparison = await compareOutputs(spec, floatS, int8S);
  } finally {
    floatS.dispose();
    int8S.dispose();
  }
  const { outputs, task } = comparison;
  const short = outputs.some((o) => o.meanCosine < COSINE_TARGET);
  const diagnose = options.diagnose === true || ((options.diagnose ?? 'auto') === 'auto' && short);
  const worstLayers = diagnose
    ? (await diagnoseLayers(spec, files.model, files.quantizedPb, files.quantJson, { backend: options.backend })).slice(0, options.worst ?? 5)
    : undefined;
  return {
    model: spec.name,
    variant: describeVariant(options.variant),
    quantizedLayers: files.layers.length,
    heldOut: spec.heldOut().length,
    outputs,
    task,
    floatLayers: options.variant?.skipLayers ?? [],
    worstLayers,
    seconds: (Date.now() - started) / 1000,
  };
}

/** The output cosine and top-1 agreement of the MNIST models on the held-out digits (2,004). */
async function mnistAgreement(quantizedPb: string, backend?: amct.BackendName): Promise<{ agreement: OutputAgreement; count: number }> {
  const digits = loadDigits();
  const held = gather(digits, digits.heldOutIndices);
  const run = async (file: string) => {
    const s = await amct.Session.create(await amct.loadGraph(file), { backend });
    try {
      const parts: Float32Array[] = [];
      for (let i = 0; i < held.count; i += 500) {
        const n = Math.min(500, held.count - i);
        const out = await s.run(MNIST_OUTPUT, { [MNIST_INPUT]: { data: held.images.subarray(i * PIXELS, (i + n) * PIXELS), shape: [n, 28, 28, 1] } });
        parts.push(out.data as Float32Array);
      }
      return concat(parts);
    } finally {
      s.dispose();
    }
  };
  const [f, q] = [await run(MNIST_MODEL), await run(quantizedPb)];
  const cos = summarize(rowCosines(f, q, held.count));
  const agreement = { output: MNIST_OUTPUT, meanCosine: cos.mean, minCosine: cos.min, meanAbsError: meanAbsError(f, q), top1: top1Agreement(f, q, held.count) };
  return { agreement, count: held.count };
}

/** MNIST through the MNIST example's own flow (4 batches of 64 training digits). */
export async function evaluateMnist(options: Pick<EvaluateOptions, 'outDir' | 'backend' | 'variant'>): Promise<AccuracyRow> {
  const started = Date.now();
  const r = await runMnistQuantization({ outDir: options.outDir, backend: options.backend, dmqBalancerParam: options.variant?.dmqBalancer });
  const { agreement, count } = await mnistAgreement(r.files.quantizedPb, options.backend);
  return {
    model: 'mnist',
    variant: describeVariant({ dmqBalancer: options.variant?.dmqBalancer }),
    quantizedLayers: r.quantizedLayers.length,
    heldOut: count,
    outputs: [agreement],
    task: [],
    accuracy: { float: r.floatAccuracy, int8: r.int8Accuracy, count: r.evaluated, floatHeldOut: r.floatHeldOut, int8HeldOut: r.int8HeldOut },
    seconds: (Date.now() - started) / 1000,
  };
}
