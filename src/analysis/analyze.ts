/**
 * analyzeAccuracy (SPEC §9, ours): where does the INT8 model lose accuracy? For every
 * quantized layer, the isolated error (this layer alone quantized, fed float
 * activations) and the cumulative error (this layer's output in the whole deployable
 * INT8 model vs the float model's same tensor); the same for every model output. All of
 * it from ONE graph run once per batch (compare-graph.ts): memory stays that of running
 * the float model, its isolated copies and the INT8 model, whatever the batch count.
 */
import * as path from 'path';
import { buildDeployable } from '../api/deployable';
import type { DeployableGraph } from '../api/deployable';
import { formatTensorName, parseTensorName } from '../ir';
import { assertNotInput } from '../io';
import type { Graph } from '../ir';
import type { LayerPlan } from '../passes';
import type { BackendName, Feeds } from '../runtime';
import { addChannelScale, addComparison, floatTail, mergeInt8 } from './compare-graph';
import { readInputs } from './inputs';
import { compareSensitivity, metricsFromSums } from './metrics';
import type { ErrorMetrics } from './metrics';
import { checkReportFile, writeReport } from './report';
import { checkBatches, runComparisons } from './run-batches';
import type { ProgressCallback } from './run-batches';
import { addIsolatedComparisons, originsOf } from './sensitivity';

/** Prefix of the Mul nodes that undo the balancer's 1/s on INT8 tensors before comparison. */
const COMPARE_BALANCE = 'amct_compare_balance';

export interface LayerAccuracy {
  /** The layer's node name (the config and record key; the user's node, an unfused tfjs op keeps its name). */
  layer: string;
  op: string;
  /** conv2d, depthwise, deconv2d, conv3d, matmul, batchmatmul_weight, batchmatmul_act, avgpool, tensor. */
  kind: string;
  /** The nodes of the model as loaded that the layer stands for (itself, a folded BN, ...). */
  origins: string[];
  /** Only this layer quantized, fed the float model's activations. */
  isolated: ErrorMetrics;
  /** The layer's output in the whole INT8 model vs the float model's same tensor. */
  cumulative: ErrorMetrics;
  /**
   * The layer's (first) input in the whole INT8 model vs float: what earlier layers hand
   * it. input.cosine − cumulative.cosine is what the model loses at this layer, its own
   * quantization and its amplification of incoming error together.
   */
  input: ErrorMetrics;
}

export interface OutputAccuracy {
  /** The output as the caller named it. */
  output: string;
  metrics: ErrorMetrics;
}

export interface AccuracyReport {
  /** Absolute paths of the float model and the record compared. */
  model: string;
  recordFile: string;
  batches: number;
  outputs: OutputAccuracy[];
  /** Every quantized layer, in graph (topological) order. */
  layers: LayerAccuracy[];
  /** The same layers, most sensitive first (lowest isolated cosine, then SQNR). */
  worst: LayerAccuracy[];
  /** Where the report was written, when reportFile was given. */
  reportFile?: string;
}

export interface AnalyzeOptions {
  /** Write the report: `.json` (the object) or `.html` (one self-contained page). */
  reportFile?: string;
  backend?: BackendName;
  onProgress?: ProgressCallback;
}

interface Probes {
  isolated: Map<string, string>;
  cumulative: Map<string, string>;
  input: Map<string, string>;
  outputs: string[];
}

/** The float tensor holding each user output: unfusing or folding may have moved it. */
function floatOutputs(outputs: string[], holders: string[]): string[] {
  const nodes = [...new Set(outputs.map((o) => parseTensorName(o).node))];
  const holderOf = new Map(nodes.map((n, i) => [n, holders[i]]));
  return outputs.map((o) => {
    const ref = parseTensorName(o);
    return formatTensorName({ node: holderOf.get(ref.node)!, index: ref.index });
  });
}

/**
 * The DMQ balancer's effect on what the INT8 graph holds (SPEC §10): a balanced layer
 * reads x/s, and a producer s was folded into outputs y/s. Comparisons multiply those
 * INT8 tensors by s, so they read as the float model's.
 */
interface BalanceView {
  /** Balanced layer → its s (its input is divided by it). */
  factors: ReadonlyMap<string, Float32Array>;
  /** Producer layer → the s its dequantized output is divided by. */
  outputDividedBy: ReadonlyMap<string, Float32Array>;
}

function balanceView(built: DeployableGraph): BalanceView {
  const factors = new Map(built.balance.map((b) => [b.layer, b.factors]));
  const layers = new Set(built.plans.map((p) => p.layer.name));
  const outputDividedBy = new Map(built.balance.filter((b) => b.divide === 'folded' && !b.constMul && b.into !== undefined && layers.has(b.into)).map((b) => [b.into!, b.factors]));
  return { factors, outputDividedBy };
}

function addProbes(float: Graph, int8: Graph, plans: LayerPlan[], ownPlans: LayerPlan[], balance: BalanceView, int8Layers: Map<string, { node: string; output: string }>, outputs: string[], holders: string[]): { graph: Graph; probes: Probes } {
  const isolated = addIsolatedComparisons(float, ownPlans, balance.factors);
  const merged = mergeInt8(float, int8);
  const graph = merged.graph;
  const cumulative = new Map<string, string>();
  // An INT8 tensor divided by s, times s: comparable with the float model's.
  const undivided = (tensor: string, s: Float32Array | undefined, label: string) => (s ? addChannelScale(graph, `${COMPARE_BALANCE}/${label}`, tensor, s) : tensor);
  for (const p of plans) {
    const out = undivided(merged.int8Tensor(int8Layers.get(p.layer.name)!.output), balance.outputDividedBy.get(p.layer.name), `${p.layer.name}/output`);
    cumulative.set(p.layer.name, addComparison(graph, `${p.layer.name}/cumulative`, floatTail(p), out));
  }
  const input = new Map<string, string>();
  for (const p of plans) {
    const i = p.layer.dataInputs[0];
    const int8Input = undivided(merged.int8Tensor(unquantizedInput(int8, int8Layers.get(p.layer.name)!.node, i)), balance.factors.get(p.layer.name), `${p.layer.name}/input`);
    input.set(p.layer.name, addComparison(graph, `${p.layer.name}/input`, float.getNode(p.layer.name).inputs[i], int8Input));
  }
  lockstep(graph, plans, (layer) => merged.int8Tensor(int8Layers.get(layer)!.node), cumulative);
  const refs = floatOutputs(outputs, holders);
  const outs = outputs.map((o, i) => addComparison(graph, `output/${o}`, refs[i], merged.int8Tensor(o)));
  return { graph, probes: { isolated, cumulative, input, outputs: outs } };
}

/** The tensor an INT8 layer quantizes at `inputIndex`: its input before AscendQuant (and AscendAntiQuant). */
function unquantizedInput(int8: Graph, layerNode: string, inputIndex: number): string {
  let t = int8.getNode(layerNode).inputs[inputIndex];
  for (let p = int8.producerOf(t); p.op === 'AscendQuant' || p.op === 'AscendAntiQuant'; p = int8.producerOf(t)) t = p.inputs[0];
  return t;
}

/**
 * Keeps the float and the INT8 model in step, layer by layer: layer k of either model
 * starts only once layer k−1 of both was compared. Without it, the executor (a
 * depth-first topological order) may run one whole model first, holding every layer
 * output it computed until the other model catches up: memory grew with the number of
 * layers. `plans` are in graph order; control inputs are ignored by the ops themselves.
 */
function lockstep(graph: Graph, plans: readonly LayerPlan[], int8Node: (layer: string) => string, cumulative: ReadonlyMap<string, string>): void {
  for (let k = 1; k < plans.length; k++) {
    const gate = cumulative.get(plans[k - 1].layer.name)!;
    for (const node of [plans[k].layer.name, int8Node(plans[k].layer.name)]) {
      graph.setControlInputs(node, [...graph.getNode(node).controlInputs, gate]);
    }
  }
}

function graphOrder(graph: Graph): Map<string, number> {
  return new Map(graph.topologicalOrder().map((n, i) => [n.name, i]));
}

export async function analyzeAccuracy(pbModel: string, outputs: string[], recordFile: string, batches: Feeds[], options: AnalyzeOptions = {}): Promise<AccuracyReport> {
  const fn = 'analyzeAccuracy';
  const reportFile = options.reportFile === undefined ? undefined : checkReportFile(options.reportFile);
  const feeds = checkBatches(fn, batches);
  const { model, record, graph, records } = await readInputs(fn, pbModel, recordFile);
  const sources = [...(graph.meta.sourceFiles ?? []), model, record];
  if (reportFile) assertNotInput(reportFile, sources); // before minutes of work, not after
  const built = buildDeployable('save_model', graph, outputs, records, { model, record }, { keepFloat: true });
  const float = built.float!;
  const order = graphOrder(float);
  const byOrder = (a: LayerPlan, b: LayerPlan) => order.get(a.layer.name)! - order.get(b.layer.name)!;
  const plans = [...built.plans].sort(byOrder);
  const map = built.quantJson({ sourceModel: model, recordFile: record, quantizedModel: '', outputs });
  const int8Layers = new Map(plans.map((p) => {
    const entry = map.layers[p.layer.name];
    return [p.layer.name, { node: entry.node, output: entry.output ?? entry.node }];
  }));
  const { graph: compared, probes } = addProbes(float, built.graph, plans, [...built.ownPlans].sort(byOrder), balanceView(built), int8Layers, outputs, built.outputHolders);
  const all = [...probes.isolated.values(), ...probes.cumulative.values(), ...probes.input.values(), ...probes.outputs];
  const sums = await runComparisons(compared, all, feeds, { backend: options.backend, onProgress: options.onProgress, label: fn });
  const metrics = (node: string) => metricsFromSums(sums.get(node)!);

  const layers = plans.map((p): LayerAccuracy => ({
    layer: p.layer.name,
    op: p.layer.op,
    kind: p.layer.kind,
    origins: originsOf(built.origins, p.layer.name),
    isolated: metrics(probes.isolated.get(p.layer.name)!),
    cumulative: metrics(probes.cumulative.get(p.layer.name)!),
    input: metrics(probes.input.get(p.layer.name)!),
  }));
  const report: AccuracyReport = {
    model,
    recordFile: record,
    batches: feeds.length,
    outputs: outputs.map((o, i) => ({ output: o, metrics: metrics(probes.outputs[i]) })),
    layers,
    worst: [...layers].sort((a, b) => compareSensitivity(a.isolated, b.isolated)),
  };
  if (reportFile) {
    report.reportFile = path.resolve(reportFile);
    await writeReport(report.reportFile, report, sources);
  }
  return report;
}
