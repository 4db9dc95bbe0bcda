/** Tensor names are "node:index"; "node" alone means output 0 (TensorFlow's convention). */
import { GraphError } from '../errors';

export interface TensorRef {
  node: string;
  index: number;
}

/** Whether name[from, end) is one or more ASCII digits. */
function digitsFrom(name: string, from: number): boolean {
  if (from >= name.length) return false;
  for (let i = from; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * "node:12" → node, 12; "node" → node, 0. Only a last colon followed by digits to the end
 * splits (as /^(.+):(\d+)$/ would; a scan, since the passes call this for every edge).
 */
export function parseTensorName(name: string): TensorRef {
  if (name.length === 0 || name.startsWith('^')) {
    throw new GraphError('INVALID_TENSOR_NAME', `"${name}" is not a tensor name`, {
      hint: 'use "node" or "node:index"; control inputs ("^node") carry no tensor',
    });
  }
  const colon = name.lastIndexOf(':');
  if (colon > 0 && digitsFrom(name, colon + 1)) return { node: name.slice(0, colon), index: Number(name.slice(colon + 1)) };
  return { node: name, index: 0 };
}

export function formatTensorName(ref: TensorRef): string {
  return ref.index === 0 ? ref.node : `${ref.node}:${ref.index}`;
}

/** The canonical spelling, so "x" and "x:0" compare equal. */
export function canonicalTensorName(name: string): string {
  return formatTensorName(parseTensorName(name));
}

export function sameTensor(a: string, b: string): boolean {
  return canonicalTensorName(a) === canonicalTensorName(b);
}
