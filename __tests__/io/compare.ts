/** Test helper: a graph as plain data, for toEqual between graphs read from different formats. */
import { createHash } from 'crypto';
import type { AttrValue, Graph, TensorData, TensorValue } from '../../src/ir';

/** Typed array type and a digest of its bytes: jest's element-wise toEqual is far too slow on weights. */
export function digest(data: TensorData | Uint8Array): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return `${data.constructor.name}[${data.length}]:${createHash('sha1').update(bytes).digest('hex')}`;
}

function tensor(t: TensorValue) {
  return { dtype: t.dtype, dims: t.shape.dims, data: digest(t.data), strings: t.strings };
}

function attrValue(a: AttrValue): unknown {
  if (a.kind === 'tensor') return { kind: 'tensor', value: tensor(a.value) };
  if (a.kind === 'list' && a.value.tensor) return { kind: 'list', value: { ...a.value, tensor: a.value.tensor.map(tensor) } };
  return a;
}

/** Nodes with attrs; tensors without `encoding` (how the values were stored is format-specific). */
export function comparable(graph: Graph) {
  return graph.nodes().map((n) => ({
    name: n.name,
    op: n.op,
    inputs: n.inputs,
    controlInputs: n.controlInputs,
    device: n.device,
    attr: Object.fromEntries(Object.entries(n.attr).map(([k, v]) => [k, attrValue(v)])),
  }));
}
