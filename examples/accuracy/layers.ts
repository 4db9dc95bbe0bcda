/**
 * Per-layer diagnosis: where does the INT8 model drift from the float one?
 *
 * The float reference is the model after prepareGraph (tfjs ops unfused, BN folded),
 * which is the graph saveModel quantized, so its node names are the quantized graph's
 * names. For each quantized layer `_quant.json` names the node holding its dequantized
 * value (`output`, AscendDequant) and the float node that value restores (the layer's
 * BiasAdd, or the layer node when it has no bias); the layer's input is its AscendQuant's
 * input, a tensor both graphs share. Per layer we report the cosine of its output
 * (float vs INT8, errors of all earlier layers included) and the drop from its input's
 * cosine to its output's, which is what the layer itself loses.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readRecord } from '../../src/record';
import * as amct from '../../src';
import { rowCosines, summarize } from './metrics';
import { ModelSpec } from './models';
import { batchOf, chunks } from './quantize';

export interface LayerLoss {
  layer: string;
  op: string;
  /** Cosine of the layer's input (float vs INT8); 1 when the input is the model's input. */
  inputCosine: number;
  outputCosine: number;
  /** inputCosine − outputCosine: the agreement this layer loses. */
  drop: number;
}

interface QuantJsonFile {
  record_file: string;
  layers: Record<string, { op: string; node: string; output?: string; nodes: string[]; output_divided_by?: string; dmq_balancer?: { divide: string; mul?: string } }>;
  nodes: Record<string, { layer?: string; role?: string }>;
}

interface Probe {
  layer: string;
  op: string;
  /** Tensor in the float graph, tensor in the INT8 graph. */
  out: [string, string];
  in?: [string, string];
  /**
   * DMQ balancer: per channel (last axis), what the INT8 tensor must be multiplied by to
   * compare with float — the balance factors s of the layer whose 1/s was folded in.
   */
  outScale?: number[];
  inScale?: number[];
}

function probes(map: QuantJsonFile, quantized: amct.Graph, floatGraph: amct.Graph, factors: (layer: string) => number[] | undefined): Probe[] {
  const biasAdds = new Map<string, string>();
  for (const [name, n] of Object.entries(map.nodes)) if (n.role === 'bias_add' && n.layer) biasAdds.set(n.layer, name);
  // INT8 tensor → the float tensor of the same value: a layer's dequantized output stands
  // for its float tail (a depthwise feeding a pointwise conv directly, say).
  const floatOf = new Map<string, string>();
  for (const [layer, entry] of Object.entries(map.layers)) {
    if (entry.output) floatOf.set(entry.output, biasAdds.get(layer) ?? entry.node);
  }
  const counterpart = (t: string) => floatOf.get(t) ?? (floatGraph.has(amct.parseTensorName(t).node) ? t : undefined);
  const out: Probe[] = [];
  for (const [layer, entry] of Object.entries(map.layers)) {
    if (!entry.output) continue; // tensor quantization (MaxPool/Add inputs): no dequantized value
    const tail = floatOf.get(entry.output)!;
    if (!floatGraph.has(tail)) continue;
    const quant = entry.nodes.map((n) => quantized.node(n)).find((n) => n?.op === 'AscendQuant');
    let input = quant?.inputs[0];
    let inScale: number[] | undefined;
    // balanced: compare the input before the Mul by 1/s, or x/s folded upstream times s
    if (input !== undefined && entry.dmq_balancer?.mul !== undefined && amct.parseTensorName(input).node === entry.dmq_balancer.mul) input = quantized.getNode(entry.dmq_balancer.mul).inputs[0];
    else if (entry.dmq_balancer?.divide === 'folded') inScale = factors(layer);
    const floatInput = input === undefined ? undefined : counterpart(input);
    const outScale = entry.output_divided_by ? factors(entry.output_divided_by) : undefined;
    out.push({ layer, op: entry.op, out: [tail, entry.output], in: floatInput === undefined ? undefined : [floatInput, input!], outScale, inScale });
  }
  return out;
}

/** Mean per-sample cosine of each fetched pair, over `samples` run in batches. */
function rescaled(data: Float32Array, scale: number[] | undefined): Float32Array {
  if (!scale) return data;
  return Float32Array.from(data, (v, i) => v * scale[i % scale.length]);
}

async function meanCosines(spec: ModelSpec, floatS: amct.Session, int8S: amct.Session, pairs: [string, string][], samples: number, scales: (number[] | undefined)[]): Promise<number[]> {
  const sums = new Array<number>(pairs.length).fill(0);
  const crops = spec.heldOut().slice(0, samples);
  for (const part of chunks(crops, spec.maxBatch)) {
    const feeds = { [spec.input]: await batchOf(spec, part) };
    const f = await floatS.run(pairs.map((p) => p[0]), feeds);
    const q = await int8S.run(pairs.map((p) => p[1]), feeds);
    pairs.forEach((_, i) => {
      const a = f[i].data as Float32Array;
      // One value per input (a score logit): its own "cosine" is only its sign, so those
      // take one cosine over the batch, counted once per input.
      const rows = a.length === part.length ? 1 : part.length;
      const cos = rowCosines(a, rescaled(q[i].data as Float32Array, scales[i]), rows);
      sums[i] += rows === 1 ? cos[0] * part.length : cos.reduce((s, c) => s + c, 0);
    });
  }
  return sums.map((s) => s / crops.length);
}

export interface DiagnoseOptions {
  backend?: amct.BackendName;
  /** Held-out inputs to average over (default 8). */
  samples?: number;
  /** Layers fetched per run, to bound memory on big models (default 12). */
  group?: number;
}

/** Every quantized layer's loss, worst drop first. */
export async function diagnoseLayers(spec: ModelSpec, model: string, quantizedPb: string, quantJson: string, options: DiagnoseOptions = {}): Promise<LayerLoss[]> {
  const floatGraph = await amct.loadGraph(model);
  amct.prepareGraph(floatGraph, { doFusion: true });
  const quantized = await amct.loadGraph(quantizedPb);
  const map = JSON.parse(await fs.promises.readFile(quantJson, 'utf8')) as QuantJsonFile;
  const records = await readRecord(path.resolve(path.dirname(quantJson), map.record_file));
  const list = probes(map, quantized, floatGraph, (layer) => records.get(layer)?.tensorBalanceFactor);
  const floatS = await amct.Session.create(floatGraph, { backend: options.backend });
  const int8S = await amct.Session.create(quantized, { backend: options.backend });
  try {
    const losses: LayerLoss[] = [];
    for (const group of chunks(list, options.group ?? 12)) {
      const pairs: [string, string][] = group.flatMap((p) => (p.in ? [p.out, p.in] : [p.out]));
      const scales = group.flatMap((p) => (p.in ? [p.outScale, p.inScale] : [p.outScale]));
      const cos = await meanCosines(spec, floatS, int8S, pairs, options.samples ?? 8, scales);
      let k = 0;
      for (const p of group) {
        const outputCosine = cos[k++];
        const inputCosine = p.in ? cos[k++] : 1;
        losses.push({ layer: p.layer, op: p.op, inputCosine, outputCosine, drop: inputCosine - outputCosine });
      }
    }
    return losses.sort((a, b) => b.drop - a.drop);
  } finally {
    floatS.dispose();
    int8S.dispose();
  }
}

/** The mean output cosine over layers, for a one-line summary. */
export function meanLayerCosine(losses: LayerLoss[]): number {
  return summarize(losses.map((l) => l.outputCosine)).mean;
}
