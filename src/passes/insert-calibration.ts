/**
 * The calibration graph (SPEC §6): on each enabled layer's data input a pass-through
 * QuantIfmr (or QuantHfmg) node that feeds statistics to the record; on its weight a
 * QuantArq node whose output is the weight quantized and dequantized, so later layers
 * calibrate against the weights they will really see. Everything a kernel needs (record
 * key, record file, batch_num, algorithm settings) travels as node attributes, so a
 * Session made from the edited graph alone can calibrate and write the record.
 */
import { attr, AttrValue, DataType, Graph, NodeDef } from '../ir';
import type { ResolvedActivation, ResolvedLayerConfig, ResolvedTensorQuantize } from '../config/types';
import { LayerCandidate, recordKeysOf } from './layer-types';
import { weightInputAxis } from './balance-axes';
import { isChannelsFirst } from './op-table';

export const CALIBRATION_OPS = ['QuantIfmr', 'QuantHfmg', 'QuantArq'] as const;

export interface CalibrationSettings {
  recordFile: string;
  batchNum: number;
  /** Layers whose fusions were skipped: recorded as skip_fusion so saveModel does the same. */
  skipFusionLayers: ReadonlySet<string>;
}

export interface InsertedCalibration {
  /** Record key → the activation node inserted for it. */
  activationNodes: Map<string, string>;
  /** Layer → its QuantArq node. */
  weightNodes: Map<string, string>;
}

function activationAttrs(key: string, a: ResolvedActivation, s: CalibrationSettings, skipFusion: boolean): Record<string, AttrValue> {
  const common: Record<string, AttrValue> = {
    T: attr.type(DataType.DT_FLOAT),
    layer_name: attr.str(key),
    record_file: attr.str(s.recordFile),
    batch_num: attr.int(s.batchNum),
    num_bits: attr.int(a.numBits),
    asymmetric: attr.bool(a.asymmetric),
    skip_fusion: attr.bool(skipFusion),
  };
  if (a.actAlgo === 'hfmg') return { ...common, num_of_bins: attr.int(a.numOfBins ?? 4096) };
  const ifmr = a.ifmr!;
  return {
    ...common,
    max_percentile: attr.float(ifmr.maxPercentile),
    min_percentile: attr.float(ifmr.minPercentile),
    search_range: attr.floats(ifmr.searchRange),
    search_step: attr.float(ifmr.searchStep),
  };
}

/** Puts an activation node on one input edge of `layer` (other readers of the tensor keep theirs). */
function insertActivationNode(graph: Graph, layer: NodeDef, inputIndex: number, key: string, attrs: Record<string, AttrValue>, algo: string): string {
  const tensor = layer.inputs[inputIndex];
  const edge = graph.consumersOf(tensor).filter((c) => c.node.name === layer.name && c.inputIndex === inputIndex);
  const op = algo === 'hfmg' ? 'QuantHfmg' : 'QuantIfmr';
  const scope = key === layer.name ? `${layer.name}/act_quant` : `${layer.name}/act_quant_${inputIndex}`;
  return graph.insertOnEdge(tensor, { name: graph.uniqueName(`${scope}/${op}`), op, attr: attrs }, edge).name;
}

function insertWeightNode(graph: Graph, candidate: LayerCandidate, config: ResolvedLayerConfig, s: CalibrationSettings, extra: Record<string, AttrValue>): string {
  const layer = graph.getNode(candidate.name);
  const tensor = layer.inputs[candidate.weightInput!];
  const edge = graph.consumersOf(tensor).filter((c) => c.node.name === layer.name && c.inputIndex === candidate.weightInput);
  const channelWise = config.weight?.channelWise ?? false;
  const attrs: Record<string, AttrValue> = {
    T: attr.type(DataType.DT_FLOAT),
    layer_name: attr.str(candidate.name),
    record_file: attr.str(s.recordFile),
    num_bits: attr.int(config.weight?.numBits ?? 8),
    channel_wise: attr.bool(channelWise),
    channel_axis: attr.int(channelWise ? (candidate.weightChannelAxis ?? -1) : -1),
    ...extra,
  };
  const name = graph.uniqueName(`${candidate.name}/weight_quant/QuantArq`);
  return graph.insertOnEdge(tensor, { name, op: 'QuantArq', attr: attrs }, edge).name;
}

/**
 * The DMQ balancer's settings (SPEC §10) on both calibration nodes of a balanced layer:
 * the activation node collects per-channel statistics along `channel_axis` of its input,
 * the QuantArq node keeps the weight so the record can be written with ARQ on w·s.
 */
function balancerAttrs(candidate: LayerCandidate, node: NodeDef, config: ResolvedLayerConfig): { activation: Record<string, AttrValue>; weight: Record<string, AttrValue> } {
  const axis = weightInputAxis(candidate);
  if (config.dmqBalancer === undefined || axis === undefined) return { activation: {}, weight: {} };
  const alpha = attr.float(config.dmqBalancer);
  return {
    activation: { dmq_balancer_param: alpha, balance_channel_axis: attr.int(isChannelsFirst(node) ? 1 : -1) },
    weight: { dmq_balancer_param: alpha, balance_input_axis: attr.int(axis) },
  };
}

/**
 * Inserts calibration nodes for every enabled layer and every tensor_quantize entry.
 * `candidates` must come from findLayers on this very graph.
 */
export function insertCalibration(
  graph: Graph,
  candidates: LayerCandidate[],
  layers: Map<string, ResolvedLayerConfig>,
  tensors: ResolvedTensorQuantize[],
  settings: CalibrationSettings,
): InsertedCalibration {
  const out: InsertedCalibration = { activationNodes: new Map(), weightNodes: new Map() };
  for (const candidate of candidates) {
    const config = layers.get(candidate.name);
    if (!config?.quantEnable || candidate.kind === 'tensor') continue;
    const node = graph.getNode(candidate.name);
    const skipFusion = settings.skipFusionLayers.has(candidate.name);
    const balancer = balancerAttrs(candidate, node, config);
    recordKeysOf(candidate).forEach((key, i) => {
      const attrs = { ...activationAttrs(key, config.activation, settings, skipFusion), ...balancer.activation };
      out.activationNodes.set(key, insertActivationNode(graph, node, candidate.dataInputs[i], key, attrs, config.activation.actAlgo));
    });
    if (candidate.weightInput !== undefined && config.weight) {
      out.weightNodes.set(candidate.name, insertWeightNode(graph, candidate, config, settings, balancer.weight));
    }
  }
  for (const t of tensors) {
    const node = graph.getNode(t.layerName);
    const attrs = activationAttrs(t.recordKey, t.activation, settings, false);
    out.activationNodes.set(t.recordKey, insertActivationNode(graph, node, t.inputIndex, t.recordKey, attrs, t.activation.actAlgo));
  }
  return out;
}

/** Whether a graph already holds calibration or Ascend ops (it was quantized before). */
export function findQuantizationNodes(graph: Graph): NodeDef[] {
  const ops = new Set<string>([...CALIBRATION_OPS, 'AscendQuant', 'AscendWeightQuant', 'AscendDequant', 'AscendAntiQuant']);
  return graph.nodes().filter((n) => ops.has(n.op));
}
