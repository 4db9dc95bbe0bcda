/**
 * Turns each --input_shape/--data_dir pair into a stream of batches, and checks the
 * inputs against the graph before any calibration work is done.
 */
import * as fs from 'fs';
import {
  Batch, DataKind, SampleLoader, binElementSize, binLoader, imageLoader, listCalibrationFiles, makeBatches, npyLoader, product, singleKind, formatShape, readNpyHeader,
} from '../data';
import { FileFormatError } from '../errors';
import { DataType, Graph, attrShape, attrType, parseTensorName } from '../ir';
import { isGraphInput } from '../ir/placeholders';
import type { Feed } from './deps';
import type { CalibrationOptions, InputSpec } from './options';
import { UsageError } from './usage-error';

/** The options that say how input files become batches (calibration and analyze share them). */
export type InputReading = Pick<CalibrationOptions, 'batchSize' | 'image'>;

export interface PreparedInput {
  spec: InputSpec;
  files: string[];
  kind: DataKind;
  batchSize: number;
  /** Shape of one sample: the fed shape without its batch axis. */
  sampleShape: number[];
  loader: SampleLoader;
  /** tfjs keeps every integer and bool type as int32, every float type as float32. */
  feedDtype: 'float32' | 'int32';
}

function resolveBatchSize(spec: InputSpec, batchSize: number | undefined): number {
  const n = spec.shape[0];
  if (batchSize !== undefined && n > 0 && n !== batchSize) {
    throw new UsageError(`--batch_size ${batchSize} contradicts batch dimension ${n} of input "${spec.name}" in --input_shape`, { hint: 'give the batch size in one place, or write -1 as the batch dimension' });
  }
  const size = batchSize ?? n;
  if (size <= 0) throw new UsageError(`the batch size of input "${spec.name}" is unknown`, { hint: 'give --batch_size, or a positive batch dimension in --input_shape' });
  return size;
}

/** For images: [h, w, c] from --input_shape, with --resize filling in or agreeing with h, w. */
function imageSampleShape(spec: InputSpec, options: InputReading): number[] {
  const { shape } = spec;
  if (shape.length !== 4) throw new UsageError(`input "${spec.name}" is fed images, so --input_shape must be n,h,w,c (NHWC), got ${formatShape(shape)}`);
  const c = shape[3] === -1 ? 3 : shape[3];
  if (c !== 1 && c !== 3) throw new UsageError(`images give 1 or 3 channels, but input "${spec.name}" has ${c}`, { hint: 'the CLI batches images as NHWC; for other layouts, save .npy arrays' });
  const resize = options.image.resize;
  const hw = [1, 2].map((axis, i) => {
    if (resize && shape[axis] > 0 && shape[axis] !== resize[i]) {
      throw new UsageError(`--resize ${resize.join(',')} disagrees with --input_shape ${formatShape(shape)} of input "${spec.name}"`, { hint: 'drop --resize; images are resized to the h,w of --input_shape' });
    }
    const v = resize ? resize[i] : shape[axis];
    if (v <= 0) throw new UsageError(`the image size of input "${spec.name}" is unknown`, { hint: 'give --resize H,W or concrete h,w in --input_shape' });
    return v;
  });
  for (const [name, values] of [['mean', options.image.mean], ['std', options.image.std]] as const) {
    if (values && values.length !== 1 && values.length !== c) throw new UsageError(`--${name} has ${values.length} values for ${c}-channel images`, { hint: 'give one value, or one per channel' });
  }
  return [hw[0], hw[1], c];
}

function makeLoader(kind: DataKind, spec: InputSpec, sampleShape: number[], options: InputReading): SampleLoader {
  if (kind === 'image') {
    const { resize: _ignored, ...image } = options.image;
    return imageLoader({ ...image, size: [sampleShape[0], sampleShape[1]], channels: sampleShape[2] as 1 | 3 });
  }
  return kind === 'npy' ? npyLoader(sampleShape) : binLoader(sampleShape, spec.dataType);
}

export async function prepareInput(spec: InputSpec, options: InputReading): Promise<PreparedInput> {
  const files = await listCalibrationFiles(spec.dataDir);
  const kind = singleKind(files, spec.dataDir);
  const batchSize = resolveBatchSize(spec, options.batchSize);
  const sampleShape = kind === 'image' ? imageSampleShape(spec, options) : spec.shape.slice(1);
  if (sampleShape.some((d) => d <= 0)) {
    throw new UsageError(`input "${spec.name}" needs a concrete shape to read ${kind} files, got ${formatShape(spec.shape)}`, { hint: 'only the batch dimension may be -1 in --input_shape' });
  }
  return { spec, files, kind, batchSize, sampleShape, loader: makeLoader(kind, spec, sampleShape, options), feedDtype: 'float32' };
}

const FLOAT_TYPES = [DataType.DT_FLOAT, DataType.DT_HALF, DataType.DT_DOUBLE, DataType.DT_BFLOAT16];
const INT_TYPES = [DataType.DT_INT32, DataType.DT_INT64, DataType.DT_UINT8, DataType.DT_INT8, DataType.DT_INT16, DataType.DT_UINT16, DataType.DT_BOOL];

/** Every --outputs name must be a node of the model. */
export function checkOutputs(graph: Graph, outputs: string[]): void {
  for (const o of outputs) {
    const node = parseTensorName(o).node;
    if (!graph.has(node)) throw new UsageError(`output "${o}" in --outputs is not a node of the model`, { node, hint: 'give output tensors as "node:index", e.g. "Reshape_1:0"' }, 'NODE_NOT_FOUND');
  }
}

/**
 * Every input must name a node; a placeholder's dtype picks the feed type and its static
 * shape must agree. The Session checks feeds too, but only after quantizeModel; checking
 * here fails fast and as a command-line error (exit 2).
 */
export function checkAgainstGraph(graph: Graph, inputs: PreparedInput[]): void {
  const placeholders = graph.nodes().filter(isGraphInput).map((n) => n.name);
  for (const input of inputs) {
    const nodeName = parseTensorName(input.spec.name).node;
    const node = graph.node(nodeName);
    if (!node) {
      throw new UsageError(`input "${input.spec.name}" in --input_shape is not a node of the model`, {
        node: nodeName,
        hint: placeholders.length > 0 ? `the model's placeholders are: ${placeholders.join(', ')}` : 'check the node name in the model',
      }, 'NODE_NOT_FOUND');
    }
    if (!isGraphInput(node)) continue;
    const dtype = attrType(node, 'dtype', DataType.DT_FLOAT);
    if (INT_TYPES.includes(dtype)) input.feedDtype = 'int32';
    else if (!FLOAT_TYPES.includes(dtype)) throw new UsageError(`input "${input.spec.name}" has a dtype the CLI cannot feed (${DataType[dtype] ?? dtype})`, { node: nodeName }, 'FEED_DTYPE_MISMATCH');
    checkShape(input, attrShape(node, 'shape')?.dims, node.name);
  }
}

function checkShape(input: PreparedInput, dims: number[] | undefined, node: string): void {
  if (!dims || dims.length === 0) return; // unknown rank, or a scalar declared loosely: let the session judge
  const fed = [input.batchSize, ...input.sampleShape];
  const bad = dims.length !== fed.length || dims.some((d, i) => d >= 0 && d !== fed[i]);
  if (bad) {
    throw new UsageError(`input "${input.spec.name}" would be fed shape ${formatShape(fed)} but the model declares ${formatShape(dims)}`, {
      node,
      hint: 'match --input_shape (and --batch_size/--resize) to the model input',
    }, 'FEED_SHAPE_MISMATCH');
  }
}

/** Samples in one .npy file, from its header: one of sampleShape, or [n, ...sampleShape]. */
async function npySamples(file: string, sampleShape: number[]): Promise<number> {
  const { shape } = await readNpyHeader(file);
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (same(shape, sampleShape)) return 1;
  if (shape.length === sampleShape.length + 1 && same(shape.slice(1), sampleShape)) return shape[0];
  throw new FileFormatError('CALIBRATION_DATA_INVALID', `.npy array of shape ${formatShape(shape)} does not hold samples of shape ${formatShape(sampleShape)}`, {
    file,
    hint: `save arrays of shape ${formatShape(sampleShape)} or [count,${sampleShape.join(',')}], matching --input_shape`,
  });
}

/** Samples available without decoding any data: one per image, from the headers of .npy files, file size over sample size for .bin. */
export async function countSamples(input: PreparedInput): Promise<number> {
  if (input.kind === 'image') return input.files.length;
  if (input.kind === 'npy') {
    let total = 0;
    for (const f of input.files) total += await npySamples(f, input.sampleShape);
    return total;
  }
  const sampleBytes = product(input.sampleShape) * binElementSize(input.spec.dataType);
  let total = 0;
  for (const f of input.files) total += Math.floor((await fs.promises.stat(f)).size / sampleBytes);
  return total;
}

function batchStream(input: PreparedInput): AsyncGenerator<Batch> {
  return makeBatches(input.files, input.batchSize, input.loader);
}

/**
 * `batchNum` feed maps, one batch of every input each, read lazily in file-name order.
 * `tooFew(input, have, need)` is the error when an input's files run out first.
 */
export async function* feedBatches(inputs: readonly PreparedInput[], batchNum: number, tooFew: (input: PreparedInput, have: number, need: number) => Error): AsyncGenerator<Record<string, Feed>> {
  const streams = inputs.map(batchStream);
  try {
    for (let b = 0; b < batchNum; b++) {
      const feeds: Record<string, Feed> = {};
      for (const [k, input] of inputs.entries()) {
        const next = await streams[k].next();
        if (next.done) throw tooFew(input, b * input.batchSize, batchNum * input.batchSize);
        feeds[input.spec.name] = toFeed(next.value, input.feedDtype);
      }
      yield feeds;
    }
  } finally {
    await Promise.all(streams.map((s) => s.return(undefined)));
  }
}

function toFeed(batch: Batch, dtype: 'float32' | 'int32'): Feed {
  if (dtype === 'float32') return { data: batch.data, shape: batch.shape };
  return { data: Int32Array.from(batch.data, (v) => Math.round(v)), shape: batch.shape };
}
