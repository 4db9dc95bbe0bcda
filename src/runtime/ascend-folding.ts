/**
 * Constant parts of the deployable graph (SPEC §6) computed once, when a Session is
 * created, in the session's private tfjs copy only (the saved .pb and session.graph keep
 * AscendWeightQuant and the int32 bias with its Cast):
 *
 * - AscendWeightQuant(Const int8 W, Const int8 offset_w) becomes a float Const holding
 *   W − offset_w (integers below 2^8: exact in float32, the reference's values bit for bit);
 * - Cast(Const int32 → float) becomes a float Const (the same float32 rounding as Cast).
 *
 * Each replacement keeps the node's name, so the tensor stays fetchable. Besides the
 * per-run cast of every weight, this gives the conv a filter tensor that lives as long as
 * the session: the wasm backend caches its packed-filter operator by filter tensor, and a
 * fresh filter tensor per run made it repack every weight on every run (measured on
 * nsfwjs: Conv2D 43.6 ms → 31 ms per run, see bench/README.md).
 */
import { attr, attrTensor, attrType, DataType, makeTensor } from '../ir';
import type { Graph, NodeDef, TensorValue } from '../ir';
import { constBehind } from './graph-checks';

/** The value of the Const behind `tensor` (through Identity), or undefined. */
export function constValueBehind(graph: Graph, tensor: string): TensorValue | undefined {
  const node = constBehind(graph, tensor);
  return node?.attr.value?.kind === 'tensor' ? attrTensor(node) : undefined;
}

function isIntegerData(t: TensorValue): boolean {
  return t.data instanceof Int8Array || t.data instanceof Int16Array || t.data instanceof Int32Array || t.data instanceof Uint8Array;
}

/** Row-major strides of `dims`, with 0 where a broadcast dimension has size 1. */
function broadcastStrides(dims: readonly number[], target: readonly number[]): number[] | undefined {
  const rank = target.length;
  if (dims.length > rank) return undefined;
  const padded = [...Array(rank - dims.length).fill(1), ...dims];
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let a = rank - 1; a >= 0; a--) {
    if (padded[a] !== 1 && padded[a] !== target[a]) return undefined;
    strides[a] = padded[a] === 1 ? 0 : stride;
    stride *= padded[a];
  }
  return strides;
}

/** W − offset_w with numpy broadcasting of the offset (one value or one per channel). */
function weightMinusOffset(w: TensorValue, offset: TensorValue): Float32Array | undefined {
  const out = new Float32Array(w.data.length);
  const wd = w.data as ArrayLike<number>;
  const od = offset.data as ArrayLike<number>;
  let zero = true;
  for (let i = 0; i < od.length; i++) zero &&= od[i] === 0;
  if (zero || od.length === 1) {
    const o = zero ? 0 : od[0];
    for (let i = 0; i < out.length; i++) out[i] = wd[i] - o;
    return out;
  }
  const dims = w.shape.dims;
  const strides = broadcastStrides(offset.shape.dims, dims);
  if (!strides) return undefined; // the kernel reports the mismatch when it runs
  const index = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let k = 0;
    for (let a = 0; a < dims.length; a++) k += index[a] * strides[a];
    out[i] = wd[i] - od[k];
    for (let a = dims.length - 1; a >= 0 && ++index[a] === dims[a]; a--) index[a] = 0;
  }
  return out;
}

function floatConst(graph: Graph, name: string, dims: number[], values: Float32Array): void {
  const value = makeTensor(DataType.DT_FLOAT, dims, values);
  graph.replaceNode(name, { op: 'Const', inputs: [], attr: { dtype: attr.type(DataType.DT_FLOAT), value: attr.tensor(value) } });
}

function foldWeightQuant(graph: Graph, node: NodeDef): boolean {
  const w = constValueBehind(graph, node.inputs[0] ?? '');
  const offset = constValueBehind(graph, node.inputs[1] ?? '');
  if (!w || !offset || !isIntegerData(w) || !isIntegerData(offset)) return false;
  const values = weightMinusOffset(w, offset);
  if (!values) return false;
  floatConst(graph, node.name, [...w.shape.dims], values);
  return true;
}

function foldCast(graph: Graph, node: NodeDef): boolean {
  if (node.inputs.length !== 1 || attrType(node, 'DstT', DataType.DT_INVALID) !== DataType.DT_FLOAT) return false;
  const value = constValueBehind(graph, node.inputs[0]);
  if (!value || value.dtype !== DataType.DT_INT32) return false;
  floatConst(graph, node.name, [...value.shape.dims], Float32Array.from(value.data as Int32Array));
  return true;
}

/**
 * Folds the constant Ascend weight ops and int32 → float casts of constants, in place.
 * Returns how many nodes became constants. Constants left unread stay: tfjs loads them
 * once, and the session's weight set frees them with the session.
 */
export function foldAscendConstants(graph: Graph): number {
  let folded = 0;
  for (const node of graph.nodes()) {
    if (node.controlInputs.length > 0) continue; // keep ordering the graph asked for
    if (node.op === 'AscendWeightQuant' && foldWeightQuant(graph, node)) folded++;
    else if (node.op === 'Cast' && foldCast(graph, node)) folded++;
  }
  return folded;
}
