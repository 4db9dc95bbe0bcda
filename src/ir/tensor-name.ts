/** Tensor names are "node:index"; "node" alone means output 0 (TensorFlow's convention). */
import { GraphError } from '../errors';

export interface TensorRef {
  node: string;
  index: number;
}

const INDEX_SUFFIX = /^(.*):(\d+)$/;

export function parseTensorName(name: string): TensorRef {
  if (name.length === 0 || name.startsWith('^')) {
    throw new GraphError('INVALID_TENSOR_NAME', `"${name}" is not a tensor name`, {
      hint: 'use "node" or "node:index"; control inputs ("^node") carry no tensor',
    });
  }
  const m = INDEX_SUFFIX.exec(name);
  if (m && m[1].length > 0) return { node: m[1], index: Number(m[2]) };
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
