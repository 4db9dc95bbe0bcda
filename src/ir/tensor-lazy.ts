/**
 * Tensors whose values are still the bytes of a file's tensor_content, copied into their
 * typed array only when `data` is first read. saveModel reads a model only to replace its
 * float weights: quantized straight from those bytes (unreadContent), the 16.5 MB of
 * nsfwjs's weights are never copied, and the garbage collector has that much less to chase.
 *
 * Only the decoder sets this up (io/tensor-codec.ts, DecodeOptions.deferContent), on a
 * buffer it owns: the tensor keeps it alive until `data` is read, and a change to the
 * buffer would change the tensor.
 */
import type { AttrValue, TensorData, TensorValue } from './types';

const unread = new WeakMap<TensorValue, Uint8Array>();

/** Makes `t.data` a getter that copies `content` out (with `copy`) at first read; assigning `data` settles it too. */
export function deferData(t: TensorValue, content: Uint8Array, copy: (content: Uint8Array) => TensorData): void {
  unread.set(t, content);
  Object.defineProperty(t, 'data', {
    configurable: true,
    enumerable: true,
    get(this: TensorValue): TensorData {
      const data = copy(content);
      settle(this, data);
      return data;
    },
    set(this: TensorValue, data: TensorData) {
      settle(this, data);
    },
  });
}

function settle(t: TensorValue, data: TensorData): void {
  unread.delete(t);
  Object.defineProperty(t, 'data', { value: data, writable: true, enumerable: true, configurable: true });
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
