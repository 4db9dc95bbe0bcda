/**
 * Tensors whose `data` is computed at first read (computeDataLater): Consts of a repeated
 * tail expanded only when needed (io/tensor-values.ts), and tensors whose values are still
 * the bytes of a file's tensor_content, copied into their typed array only when `data` is
 * first read (deferData). saveModel reads a model only to replace its
 * float weights: quantized straight from those bytes (unreadContent), the 16.5 MB of
 * nsfwjs's weights are never copied, and the garbage collector has that much less to chase.
 *
 * Only the decoder sets this up (io/tensor-codec.ts, DecodeOptions.deferContent), on a
 * buffer it owns: the tensor keeps it alive until `data` is read, and a change to the
 * buffer would change the tensor.
 */
import type { AttrValue, TensorData, TensorValue } from './types';

const unread = new WeakMap<TensorValue, Uint8Array>();

/**
 * Makes `t.data` a getter that computes the values at first read (`compute` may throw, and
 * then nothing changes); the first read or assignment makes `data` a plain property again
 * and calls `settled`.
 */
export function computeDataLater(t: TensorValue, compute: () => TensorData, settled: () => void): void {
  const settle = (data: TensorData) => {
    settled();
    Object.defineProperty(t, 'data', { value: data, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(t, 'data', {
    configurable: true,
    enumerable: true,
    get(): TensorData {
      const data = compute();
      settle(data);
      return data;
    },
    set(data: TensorData) {
      settle(data);
    },
  });
}

/** Makes `t.data` the copy `copy` makes of `content` at first read; until then unreadContent(t) is `content`. */
export function deferData(t: TensorValue, content: Uint8Array, copy: (content: Uint8Array) => TensorData): void {
  unread.set(t, content);
  computeDataLater(t, () => copy(content), () => unread.delete(t));
}

/**
 * The tensor's values as the file stored them (tensor_content: little-endian, no
 * alignment), when `data` was never read; a view, not a copy, and not to be changed.
 */
export function unreadContent(t: TensorValue): Uint8Array | undefined {
  return unread.get(t);
}

/**
 * Copies out every still-unread tensor among `attrs` (a graph's node attributes), so the
 * graph no longer keeps the buffer they were decoded from: saveModel does this to the
 * graph it returns, which would otherwise hold the whole model file for a few small Consts.
 */
export function readDeferred(attrs: Iterable<AttrValue>): void {
  for (const a of attrs) {
    const tensors = a.kind === 'tensor' ? [a.value] : a.kind === 'list' ? a.value.tensor ?? [] : [];
    for (const t of tensors) if (unread.has(t)) void t.data;
  }
}
