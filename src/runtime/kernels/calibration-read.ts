/**
 * Moving activations between the backend and the accumulators without copies. On a
 * MobileNet-size model the calibration nodes see ~10M values per image, so a copy per
 * node (dataSync on wasm, tf.clone on wasm) costs as much as a tenth of the model's own
 * run, and the garbage it leaves costs as much again in GC.
 */
import { tf } from '../tfjs';

/** What the wasm backend offers its own kernels: a view of a tensor in the wasm heap. */
interface HeapBackend {
  typedArrayFromHeap(t: tf.Tensor): Float32Array | Int32Array | Uint8Array;
  dataIdMap: { has(dataId: object): boolean };
}

function heapBackend(): HeapBackend | undefined {
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof b.typedArrayFromHeap === 'function' && typeof b.dataIdMap?.has === 'function' ? (b as HeapBackend) : undefined;
}

/**
 * The values of a float32 tensor, for reading only and only until the next tfjs call:
 * on wasm a view into the heap (which may move when it grows), elsewhere what dataSync
 * gives (the cpu backend's own array, without copy; tfjs-node copies).
 */
export function readActivation(x: tf.Tensor): Float32Array {
  const heap = heapBackend();
  if (heap && heap.dataIdMap.has(x.dataId)) return heap.typedArrayFromHeap(x) as Float32Array;
  return x.dataSync() as Float32Array;
}

/**
 * A new tensor over the same data: what a pass-through kernel returns so the executor
 * can free it apart from the input. Reshape to the same shape shares the data on every
 * backend (refcounted); tf.clone copies on wasm.
 */
export function shareTensor(x: tf.Tensor): tf.Tensor {
  return tf.reshape(x, x.shape);
}
