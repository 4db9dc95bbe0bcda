/**
 * Op knowledge as data (SPEC §2): one row per op type that layer discovery and the
 * fusion passes understand. Adding an op = one row here + its discovery handler (if a
 * new one is needed) + a test.
 */
import { attrBool, attrInts, attrString } from '../ir';
import type { NodeDef } from '../ir';
import { describeFusedOps } from './fused-ops';
import type { LayerCandidate, LayerKind } from './layer-types';

/**
 * Memory layout of a weight tensor; it tells which axis holds the per-channel scales and
 * how output channels are laid out (for folding BN/Mul/bias into the weight).
 * HWIO: Conv2D, HWCM: depthwise (C input channels × M multiplier), HWOI: Conv2DBackpropInput,
 * DHWIO: Conv3D, KN: MatMul/BatchMatMul weight (columns = output channels).
 */
export type WeightLayout = NonNullable<LayerCandidate['weightLayout']>;

export interface LayoutInfo {
  rank: number;
  /** Axis of per-channel scale_w (SPEC §2). For HWCM this is C, not the C·M outputs. */
  scaleAxis: number;
}

export const LAYOUTS: Record<WeightLayout, LayoutInfo> = {
  HWIO: { rank: 4, scaleAxis: 3 },
  HWCM: { rank: 4, scaleAxis: 2 },
  HWOI: { rank: 4, scaleAxis: 2 },
  DHWIO: { rank: 5, scaleAxis: 4 },
  KN: { rank: 2, scaleAxis: 1 },
};

/** Which discovery handler turns a node of this op into a LayerCandidate. */
export type DiscoveryHandler = 'weighted' | 'batchmatmul' | 'avgpool' | 'tensor';

/** Nodes that a fusion pass may absorb into a layer that lists them. */
export type FusibleOp = 'BiasAdd' | 'BatchNorm' | 'Add' | 'Mul';

export interface WeightSpec {
  /** Input position of the weight. */
  input: number;
  /** What the user calls it in messages ("filter of Conv2D ..."). */
  role: string;
  layout: WeightLayout;
}

export interface OpRow {
  op: string;
  kind: LayerKind;
  handler: DiscoveryHandler;
  /** Data input positions (the tensor handler recomputes them: all non-constant inputs). */
  dataInputs: readonly number[];
  weight?: WeightSpec;
  channelWiseAllowed: boolean;
  /** The plain op a TensorFlow.js fused op becomes when unfused. */
  plainOp?: string;
  /** Attribute constraint of SPEC §2: a reason a user can act on, or undefined when fine. */
  check?: (node: NodeDef) => string | undefined;
  /** What the fusion passes may fold into this layer when it follows it. */
  fusibleAfter: readonly FusibleOp[];
}

const CONV_FUSIBLE: readonly FusibleOp[] = ['BiasAdd', 'BatchNorm', 'Add', 'Mul'];
const MATMUL_FUSIBLE: readonly FusibleOp[] = ['BiasAdd', 'Add', 'Mul'];

function flagsMustBeFalse(...names: string[]): (node: NodeDef) => string | undefined {
  return (node) => {
    const set = names.find((n) => attrBool(node, n, false));
    return set === undefined ? undefined : `${node.op} with ${set}=true is not supported`;
  };
}

function allOnes(values: number[]): boolean {
  return values.every((v) => v === 1);
}

function deconvDilations(node: NodeDef): string | undefined {
  const d = attrInts(node, 'dilations', [1, 1, 1, 1]);
  return allOnes(d) ? undefined : `${node.op} with dilations [${d.join(',')}]: dilations must be all 1`;
}

function conv3dDepthDilation(node: NodeDef): string | undefined {
  const d = attrInts(node, 'dilations', [1, 1, 1, 1, 1]);
  const depthAxis = attrString(node, 'data_format', 'NDHWC') === 'NCDHW' ? 2 : 1;
  return (d[depthAxis] ?? 1) === 1 ? undefined : `Conv3D dilation along depth must be 1 (dilations [${d.join(',')}])`;
}

/** Fused tfjs ops must be splittable into plain ops, and a fused MatMul obeys MatMul's rules. */
function fusedCheck(extra?: (node: NodeDef) => string | undefined): (node: NodeDef) => string | undefined {
  return (node) => describeFusedOps(node) ?? extra?.(node);
}

const matmulCheck = flagsMustBeFalse('transpose_a', 'transpose_b');

const ROWS: OpRow[] = [
  conv('Conv2D', 'conv2d', 'HWIO'),
  conv('DepthwiseConv2dNative', 'depthwise', 'HWCM'),
  { ...conv('Conv2DBackpropInput', 'deconv2d', 'HWOI'), dataInputs: [2], check: deconvDilations },
  { ...conv('Conv3D', 'conv3d', 'DHWIO'), check: conv3dDepthDilation },
  matmul('MatMul', matmulCheck),
  batchMatMul('BatchMatMul'),
  batchMatMul('BatchMatMulV2'),
  { op: 'AvgPool', kind: 'avgpool', handler: 'avgpool', dataInputs: [0], channelWiseAllowed: false, fusibleAfter: [] },
  tensorOp('MaxPool'),
  tensorOp('Add'),
  tensorOp('AddV2'),
  fused('_FusedConv2D', conv('Conv2D', 'conv2d', 'HWIO')),
  fused('FusedDepthwiseConv2dNative', conv('DepthwiseConv2dNative', 'depthwise', 'HWCM')),
  fused('_FusedMatMul', matmul('MatMul', matmulCheck)),
];

function conv(op: string, kind: LayerKind, layout: WeightLayout): OpRow {
  return { op, kind, handler: 'weighted', dataInputs: [0], weight: { input: 1, role: 'filter', layout }, channelWiseAllowed: true, fusibleAfter: CONV_FUSIBLE };
}

function matmul(op: string, check: OpRow['check']): OpRow {
  return { op, kind: 'matmul', handler: 'weighted', dataInputs: [0], weight: { input: 1, role: 'weight (input 1)', layout: 'KN' }, channelWiseAllowed: false, check, fusibleAfter: MATMUL_FUSIBLE };
}

/** kind is decided per node by the batchmatmul handler (weight or two activations). */
function batchMatMul(op: string): OpRow {
  return { op, kind: 'batchmatmul_act', handler: 'batchmatmul', dataInputs: [0, 1], channelWiseAllowed: false, check: flagsMustBeFalse('adj_x', 'adj_y'), fusibleAfter: [] };
}

function tensorOp(op: string): OpRow {
  return { op, kind: 'tensor', handler: 'tensor', dataInputs: [0], channelWiseAllowed: false, fusibleAfter: [] };
}

/** A fused tfjs op: discovered like its plain op; fusions apply only once it is unfused. */
function fused(op: string, plain: OpRow): OpRow {
  return { ...plain, op, plainOp: plain.op, check: fusedCheck(plain.check), fusibleAfter: [] };
}

export const OP_TABLE: ReadonlyMap<string, OpRow> = new Map(ROWS.map((r) => [r.op, r]));

export function opRow(op: string): OpRow | undefined {
  return OP_TABLE.get(op);
}

/** Rank of the layer's output and the axis of its channels there (for bias/BN/Mul shapes). */
export function outputChannelAxis(node: NodeDef, row: OpRow): { rank: number; axis: number } {
  if (row.weight?.layout === 'KN') return { rank: 2, axis: 1 };
  const rank = row.weight?.layout === 'DHWIO' ? 5 : 4;
  return { rank, axis: isChannelsFirst(node) ? 1 : rank - 1 };
}

export function isChannelsFirst(node: NodeDef): boolean {
  return attrString(node, 'data_format', 'NHWC').startsWith('NC');
}
