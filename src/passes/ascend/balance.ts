/**
 * The DMQ balancer in the deployable graph (SPEC §10). A balanced layer computes
 * (x_c / s_c) · (w_c · s_c) = x_c · w_c: its weights are balanced before quantization
 * (balancedWeight, called by planWeights), and its input is divided by s before
 * AscendQuant, in one of two ways decided here, per layer:
 *
 * - folded: the input's producer is per-channel affine and its output reaches only this
 *   layer through ops that commute with a positive per-channel scale (Relu, Identity,
 *   MaxPool, AvgPool, Mean over spatial axes, Reshape keeping the channel count last).
 *   Producers handled: a quantized layer (its AscendDequant's deq_scale[c] is divided by
 *   s_c — exact whatever its weight granularity, since dequantization is the last
 *   multiplication before the path), and a Mul by a constant (the constant becomes m/s).
 * - mul: otherwise a float Mul by 1/s on the edge into the layer, before its AscendQuant.
 */
import { reciprocalFactors, scaleInputChannels } from '../../calib';
import { RecordError } from '../../errors';
import { attr, attrString, DataType, floatTensor, Graph, NodeDef, parseTensorName, toFloat32 } from '../../ir';
import type { TensorValue } from '../../ir';
import { packDeqScale, unpackDeqScale } from '../../quant';
import type { LayerRecord } from '../../record';
import { weightInputAxis } from '../balance-axes';
import { constValue } from '../graph-utils';
import { hasWeights, LayerCandidate } from '../layer-types';
import type { LayerPlan } from './plan';

/** How a balanced layer's input gets divided by s (written to `_quant.json`). */
export interface BalancePlan {
  layer: string;
  factors: Float32Array;
  divide: 'folded' | 'mul';
  /** folded: the node that absorbs 1/s (a quantized layer's AscendDequant, or a Mul's constant). */
  into?: string;
  /** folded: the ops between the producer and the layer. */
  through?: string[];
  /** mul: why it could not be folded. */
  reason?: string;
  /** mul: the inserted Mul, once applied. */
  mulNode?: string;
  /** folded into a Mul by a constant: the Mul whose constant is replaced. */
  constMul?: string;
}

const COMMUTING = new Set(['Relu', 'Identity', 'MaxPool', 'AvgPool', 'Mean', 'Reshape']);

function mismatch(layer: string, message: string, hint: string): RecordError {
  return new RecordError('RECORD_MODEL_MISMATCH', message, { layer, field: 'tensor_balance_factor', hint });
}

/** Input channels of a weighted layer: the size of its weight's input-channel axis. */
export function inputChannelsOf(graph: Graph, layer: LayerCandidate): number | undefined {
  const axis = weightInputAxis(layer);
  const w = layer.weightInput !== undefined ? constValue(graph, graph.getNode(layer.name).inputs[layer.weightInput]) : undefined;
  return axis === undefined || !w ? undefined : w.shape.dims[axis];
}

/** The record's factors of a layer, checked against the model; undefined when not balanced. */
export function balanceFactorsOf(layer: LayerCandidate, record: LayerRecord | undefined, inputChannels: number | undefined): Float32Array | undefined {
  const s = record?.tensorBalanceFactor;
  if (!s || s.length === 0) return undefined;
  if (!hasWeights(layer.kind)) {
    throw mismatch(layer.name, `layer ${layer.name} (${layer.op}) has tensor_balance_factor in the record, but the DMQ balancer applies only to layers with weights`,
      'remove tensor_balance_factor from this layer\'s record');
  }
  if (inputChannels !== undefined && s.length !== inputChannels) {
    throw mismatch(layer.name, `layer ${layer.name} has ${s.length} tensor_balance_factor values in the record but ${inputChannels} input channels in the model`,
      'tensor_balance_factor holds one factor per input channel; the record was made for another model, calibrate this model again');
  }
  return Float32Array.from(s);
}

/** The layer's float weight (of shape `dims`) balanced (w_c·s_c) when its record has factors, else as is. */
export function balancedWeight(layer: LayerCandidate, record: LayerRecord, w: Float32Array, dims: readonly number[]): Float32Array {
  const axis = weightInputAxis(layer);
  const s = balanceFactorsOf(layer, record, axis === undefined ? undefined : dims[axis]);
  return s ? scaleInputChannels(w, dims, axis!, s) : w;
}

function readersOf(graph: Graph, name: string): number {
  return graph.dataConsumersOfNode(name).length + graph.controlDependents(name).length;
}

/** Whether a path op keeps channel c of its input on channel c of its output, last axis. */
function keepsChannels(graph: Graph, node: NodeDef, channels: number): boolean {
  if (node.op === 'Relu' || node.op === 'Identity') return true;
  if (node.op === 'MaxPool' || node.op === 'AvgPool') return !attrString(node, 'data_format', 'NHWC').startsWith('NC');
  const c = constValue(graph, node.inputs[1] ?? '');
  if (!c) return false;
  const v = Array.from(toFloat32Safe(c));
  if (node.op === 'Reshape') return v.length > 0 && v[v.length - 1] === channels;
  // Mean over the spatial axes 1, 2 of a 4-D NHWC tensor (never the channel axis 3 or −1;
  // the rank is not known here, so 5-D producers take the Mul instead)
  return node.op === 'Mean' && v.length > 0 && v.every((a) => a === 1 || a === 2);
}

function toFloat32Safe(t: TensorValue): Float32Array {
  return t.dtype === DataType.DT_INT32 || t.dtype === DataType.DT_INT64 || t.dtype === DataType.DT_FLOAT ? toFloat32(t) : new Float32Array(0);
}

interface Producer {
  node: NodeDef;
  through: string[];
}

/** Walks back from the layer's input through commuting single-reader ops; why not, when it cannot. */
function producerOf(graph: Graph, layer: NodeDef, inputIndex: number, channels: number, locked: ReadonlySet<string>): Producer | string {
  const through: string[] = [];
  let node = graph.producerOf(layer.inputs[inputIndex]);
  for (;;) {
    if (locked.has(node.name)) return `${node.name} is quantized or fetched by the user`;
    if (readersOf(graph, node.name) !== 1) return `the output of ${node.name} has other readers`;
    if (node.op === 'Relu6') return `Relu6 ${node.name} does not commute with a per-channel scale (it clips at 6)`;
    if (!COMMUTING.has(node.op)) return { node, through: through.reverse() };
    if (!keepsChannels(graph, node, channels)) return `${node.op} ${node.name} does not commute with a per-channel scale`;
    through.push(node.name);
    node = graph.producerOf(node.inputs[0]);
  }
}

function outputsOf(plan: LayerPlan): number {
  const l = plan.layer;
  return (l.outputChannels ?? 0) * (l.kind === 'depthwise' ? (l.channelMultiplier ?? 1) : 1);
}

/** deq_scale[c] / s_c, keeping shift_n and offset_w: the producer's dequantized output divided by s. */
function divideDeqScale(plan: LayerPlan, s: Float32Array): void {
  const old = plan.deqScale!;
  const fields = Array.from(old, (v) => unpackDeqScale(v));
  const pick = (c: number) => fields[old.length === 1 ? 0 : c];
  const scales = Float32Array.from(s, (sc, c) => pick(c).scale / sc);
  plan.deqScale = packDeqScale(1, scales, Array.from(s, (_, c) => pick(c).shiftN), Array.from(s, (_, c) => pick(c).offsetW));
}

/** A Mul whose second (or first) input is a scalar or [C] float constant. */
function constMulInput(graph: Graph, node: NodeDef, channels: number): number | undefined {
  if (node.op !== 'Mul') return undefined;
  for (const i of [1, 0]) {
    const t = constValue(graph, node.inputs[i] ?? '');
    if (!t) continue;
    const n = t.shape.dims.reduce((a, b) => a * b, 1);
    if (t.dtype === DataType.DT_FLOAT && (n === 1 || (n === channels && t.shape.dims[t.shape.dims.length - 1] === channels))) return i;
  }
  return undefined;
}

function decide(graph: Graph, plan: LayerPlan, s: Float32Array, tails: Map<string, LayerPlan>, locked: ReadonlySet<string>): BalancePlan {
  const layer = graph.getNode(plan.layer.name);
  const base = { layer: plan.layer.name, factors: s };
  if (attrString(layer, 'data_format', 'NHWC').startsWith('NC')) return { ...base, divide: 'mul', reason: 'channels-first layout' };
  const p = producerOf(graph, layer, plan.activations[0].inputIndex, s.length, locked);
  if (typeof p === 'string') return { ...base, divide: 'mul', reason: p };
  const producerPlan = tails.get(p.node.name);
  const fourD = producerPlan !== undefined && ['conv2d', 'depthwise', 'deconv2d'].includes(producerPlan.layer.kind);
  if (!fourD && p.through.some((n) => graph.getNode(n).op === 'Mean')) {
    return { ...base, divide: 'mul', reason: 'a Mean on the way reads a tensor whose rank is not known to be 4 (NHWC)' };
  }
  if (producerPlan && producerPlan.deqScale && hasWeights(producerPlan.layer.kind) && outputsOf(producerPlan) === s.length) {
    if (attrString(graph.getNode(producerPlan.layer.name), 'data_format', 'NHWC').startsWith('NC')) return { ...base, divide: 'mul', reason: 'producer is channels-first' };
    divideDeqScale(producerPlan, s);
    return { ...base, divide: 'folded', into: producerPlan.layer.name, through: p.through };
  }
  if (!producerPlan && constMulInput(graph, p.node, s.length) !== undefined) {
    return { ...base, divide: 'folded', into: p.node.name, through: p.through, constMul: p.node.name };
  }
  return { ...base, divide: 'mul', reason: `producer ${p.node.name} (${p.node.op}) is not a per-channel affine node the balancer can fold into` };
}

/**
 * Decides, for every balanced plan, where 1/s goes, and folds it into quantized producers'
 * deq_scale right away (plans are still unemitted). `outputs` are the fetched node names.
 */
export function planBalance(graph: Graph, plans: LayerPlan[], records: ReadonlyMap<string, LayerRecord>, outputs: Iterable<string>): BalancePlan[] {
  const tails = new Map<string, LayerPlan>();
  const locked = new Set<string>([...outputs].map((o) => parseTensorName(o).node));
  for (const p of plans) {
    if (p.deqScale) tails.set(p.bias?.biasAdd ?? p.layer.name, p);
    else locked.add(p.layer.name); // tensor quantization: its input is quantized as it is
    if (!hasWeights(p.layer.kind)) locked.add(p.layer.name);
  }
  const out: BalancePlan[] = [];
  for (const p of plans) {
    for (const a of p.activations) {
      const s = balanceFactorsOf(p.layer, records.get(a.key), hasWeights(p.layer.kind) ? inputChannelsOf(graph, p.layer) : undefined);
      if (s) out.push(decide(graph, p, s, tails, locked));
    }
  }
  return out;
}

/** Graph edits of the decided plans (before emitAscend): the Mul nodes and the replaced Mul constants. */
export function applyBalance(graph: Graph, balance: BalancePlan[], plans: LayerPlan[]): void {
  for (const b of balance) {
    const inv = reciprocalFactors(b.factors);
    if (b.constMul) {
      const mul = graph.getNode(b.constMul);
      const i = constMulInput(graph, mul, b.factors.length)!;
      const m = toFloat32(constValue(graph, mul.inputs[i])!);
      const scaled = Float32Array.from(inv, (v, c) => Math.fround(m[m.length === 1 ? 0 : c] * v));
      const k = graph.addConst(`${b.layer}/dmq_balancer/folded_mul`, floatTensor([scaled.length], scaled));
      graph.replaceInput(mul.name, i, k.name);
      continue;
    }
    if (b.divide !== 'mul') continue;
    const plan = plans.find((p) => p.layer.name === b.layer)!;
    const layer = graph.getNode(b.layer);
    const inputIndex = plan.activations[0].inputIndex;
    const tensor = layer.inputs[inputIndex];
    const k = graph.addConst(`${b.layer}/dmq_balancer/reciprocal`, floatTensor([inv.length], inv));
    const edge = graph.consumersOf(tensor).filter((c) => c.node.name === b.layer && c.inputIndex === inputIndex);
    const spec = { name: graph.uniqueName(`${b.layer}/dmq_balancer/Mul`), op: 'Mul', inputs: [k.name], attr: { T: attr.type(DataType.DT_FLOAT) } };
    b.mulNode = graph.insertOnEdge(tensor, spec, edge).name;
  }
}
