/**
 * What a calibration node keeps in its Session state (ctx.state), built from the node's
 * attributes the first time it runs. insertCalibration (src/passes/insert-calibration.ts)
 * writes every setting as an attribute, so a Session made from the graph alone can
 * calibrate: nothing is looked up in the config or in module globals.
 */
import { BalancedActivationAccumulator } from '../../calib';
import type { BalancedAlgorithm } from '../../calib';
import { GraphError } from '../../errors';
import { attrBool, attrFloat, attrInt, attrString } from '../../ir';
import { weightBitsProblem } from '../../quant';
import type { NodeDef } from '../../ir';
import { LayerStatistics } from '../statistics/accumulator';

/** The state key under which a calibration node keeps its record (see the interfaces below). */
export const STATE_KEY = 'calibration';
/** The state key of QuantArq's cached output tensor (a tensor at top level, so disposal finds it). */
export const OUTPUT_KEY = 'output';

export interface ActivationState {
  kind: 'activation';
  /** Record key: the layer name, or `layer:input_index` for tensor quantization. */
  layer: string;
  recordFile: string;
  batchNum: number;
  skipFusion: boolean;
  accumulator: LayerStatistics | BalancedActivationAccumulator;
  /** DMQ balancer (SPEC §10): α and the channel axis of the input, when the layer is balanced. */
  balance?: { alpha: number; channelAxis: number };
  /** Set once this node's record file has been written by this session. */
  recorded: boolean;
}

export interface WeightState {
  kind: 'weight';
  layer: string;
  recordFile: string;
  scaleW: Float32Array;
  offsetW: Int32Array;
  /**
   * A balanced layer's weight as read, so the record can hold ARQ of w·s once s is known
   * (after the last batch): values, shape, the input-channel axis s multiplies, and the
   * ARQ settings.
   */
  balance?: { weight: Float32Array; shape: number[]; inputAxis: number; channelAxis?: number; numBits: number };
}

function badAttr(node: NodeDef, message: string): GraphError {
  return new GraphError('INVALID_GRAPH', `${node.op} node ${node.name}: ${message}`, {
    node: node.name,
    hint: 'calibration nodes are made by quantizeModel; run it again on the original model',
  });
}

/** A list(float) attribute (the IR's attr helpers have none). */
function attrFloats(node: NodeDef, name: string): number[] {
  const a = node.attr[name];
  if (a?.kind !== 'list' || !a.value.f) throw badAttr(node, `attribute "${name}" is missing or not a list of floats`);
  return a.value.f;
}

function nonEmpty(node: NodeDef, name: string): string {
  const value = attrString(node, name);
  if (value.length === 0) throw badAttr(node, `attribute "${name}" is empty`);
  return value;
}

/** The node's IFMR or HFMG settings, from the attributes insertCalibration wrote. */
function algorithmOf(node: NodeDef, layer: string): BalancedAlgorithm {
  const numBits = attrInt(node, 'num_bits', 8);
  const asymmetric = attrBool(node, 'asymmetric', true);
  if (node.op === 'QuantHfmg') return { algo: 'hfmg', hfmg: { numBins: attrInt(node, 'num_of_bins', 4096), asymmetric, numBits, layer } };
  const range = attrFloats(node, 'search_range');
  if (range.length !== 2) throw badAttr(node, `search_range has ${range.length} values, expected 2`);
  return {
    algo: 'ifmr',
    ifmr: {
      maxPercentile: attrFloat(node, 'max_percentile'),
      minPercentile: attrFloat(node, 'min_percentile'),
      searchRange: [range[0], range[1]],
      searchStep: attrFloat(node, 'search_step'),
      asymmetric,
      numBits,
      layer,
    },
  };
}

/**
 * The node's statistics; a DMQ-balanced layer's are per channel, with the same settings
 * (and stay on the main thread). `threaded`: large batches may go to the statistics thread.
 */
function makeAccumulator(node: NodeDef, layer: string, batchNum: number, threaded: boolean): ActivationState['accumulator'] {
  const algorithm = algorithmOf(node, layer);
  if (node.attr.dmq_balancer_param) return new BalancedActivationAccumulator({ layer, batchNum, algorithm });
  const spec = algorithm.algo === 'hfmg' ? ({ algo: 'hfmg', options: algorithm.hfmg } as const) : ({ algo: 'ifmr', options: { ...algorithm.ifmr, batchNum } } as const);
  return new LayerStatistics(spec, batchNum, threaded);
}

/** The activation node's state, created from its attributes on first use (`threaded`: the Session's statisticsThread). */
export function activationState(node: NodeDef, state: Map<string, unknown>, threaded: boolean): ActivationState {
  const existing = state.get(STATE_KEY) as ActivationState | undefined;
  if (existing) return existing;
  const layer = nonEmpty(node, 'layer_name');
  const batchNum = attrInt(node, 'batch_num');
  if (!Number.isInteger(batchNum) || batchNum < 1) throw badAttr(node, `batch_num = ${batchNum} must be an integer > 0`);
  const created: ActivationState = {
    kind: 'activation',
    layer,
    recordFile: nonEmpty(node, 'record_file'),
    batchNum,
    skipFusion: attrBool(node, 'skip_fusion', false),
    accumulator: makeAccumulator(node, layer, batchNum, threaded),
    recorded: false,
  };
  if (node.attr.dmq_balancer_param) {
    created.balance = { alpha: attrFloat(node, 'dmq_balancer_param'), channelAxis: attrInt(node, 'balance_channel_axis', -1) };
  }
  state.set(STATE_KEY, created);
  return created;
}

/** QuantArq settings: the channel axis is absent (per tensor) unless channel_wise. */
export function weightSettings(node: NodeDef): { layer: string; recordFile: string; numBits: number; channelAxis?: number; balanceInputAxis?: number } {
  const channelWise = attrBool(node, 'channel_wise', false);
  const axis = attrInt(node, 'channel_axis', -1);
  if (channelWise && axis < 0) throw badAttr(node, 'channel_wise is true but channel_axis is not set');
  const numBits = attrInt(node, 'num_bits', 8);
  // Said at the node, before any batch (quantizeWeights would refuse it without naming the node).
  const bitsProblem = weightBitsProblem(numBits);
  if (bitsProblem) throw badAttr(node, bitsProblem);
  return {
    layer: nonEmpty(node, 'layer_name'),
    recordFile: nonEmpty(node, 'record_file'),
    numBits,
    channelAxis: channelWise ? axis : undefined,
    balanceInputAxis: node.attr.dmq_balancer_param ? attrInt(node, 'balance_input_axis') : undefined,
  };
}
