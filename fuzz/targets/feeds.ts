/**
 * Fuzz target: Session feeds (issue 11, items 2, 4, 6, 7). Each case picks one of a few
 * small graphs (dense, conv, control flow with an Ascend kernel, int32 MatMul) on cpu or
 * wasm and runs it with 1–3 random feeds (feed-cases.ts). A case passes when the run
 * returns or throws an AmctError with a code; it fails (throws a plain Error) when:
 * - the run throws anything that is not an AmctError;
 * - a feed was changed (raw data, shape, or a tensor's values) or a caller's tensor was
 *   disposed;
 * - the run left tensors behind (tf.memory().numTensors);
 * - afterwards the same session no longer computes its reference output.
 * An AmctError is rethrown so the harness counts typed errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AmctError } from '../../src/errors';
import { attr, DataType, floatTensor, Graph, int32Tensor } from '../../src/ir';
import { BackendName, Session } from '../../src/runtime';
import type { Feeds } from '../../src/runtime';
import type { FuzzTarget } from '../target';
import { pick } from '../rng';
import { feedName, FeedSlot, feedValue, Rng } from './feed-cases';

const F = attr.type(DataType.DT_FLOAT);
const I = attr.type(DataType.DT_INT32);

interface Subject {
  name: string;
  graph: () => Graph;
  slots: FeedSlot[];
  fetches: string[];
}

function placeholder(g: Graph, name: string, dims: number[], dtype = DataType.DT_FLOAT): void {
  g.addNode({ name, op: 'Placeholder', attr: { dtype: attr.type(dtype), shape: attr.shape(dims) } });
}

function constant(g: Graph, name: string, value: ReturnType<typeof floatTensor>): void {
  g.addNode({ name, op: 'Const', attr: { dtype: attr.type(value.dtype), value: attr.tensor(value) } });
}

const SUBJECTS: Subject[] = [
  {
    name: 'dense', fetches: ['y'], slots: [{ name: 'x', dims: [-1, 2], dtype: 'float32' }],
    graph: () => {
      const g = new Graph();
      placeholder(g, 'x', [-1, 2]);
      constant(g, 'W', floatTensor([2, 3], [1, 2, 3, 4, 5, 6]));
      g.addNode({ name: 'mm', op: 'MatMul', inputs: ['x', 'W'], attr: { T: F, transpose_a: attr.bool(false), transpose_b: attr.bool(false) } });
      g.addNode({ name: 'y', op: 'Relu', inputs: ['mm'], attr: { T: F } });
      return g;
    },
  },
  {
    name: 'conv', fetches: ['conv'], slots: [{ name: 'img', dims: [-1, 3, 3, 1], dtype: 'float32' }],
    graph: () => {
      const g = new Graph();
      placeholder(g, 'img', [-1, 3, 3, 1]);
      constant(g, 'filter', floatTensor([2, 2, 1, 1], [1, 2, 3, 4]));
      g.addNode({ name: 'conv', op: 'Conv2D', inputs: ['img', 'filter'], attr: { T: F, strides: attr.ints([1, 1, 1, 1]), padding: attr.str('VALID'), data_format: attr.str('NHWC'), dilations: attr.ints([1, 1, 1, 1]) } });
      return g;
    },
  },
  {
    name: 'nms+quant', fetches: ['nms', 'q'],
    slots: [{ name: 'boxes', dims: [-1, 4], dtype: 'float32' }, { name: 'scores', dims: [-1], dtype: 'float32' }, { name: 'x', dims: [2, 3], dtype: 'float32' }],
    graph: () => {
      const g = new Graph();
      placeholder(g, 'boxes', [-1, 4]);
      placeholder(g, 'scores', [-1]);
      placeholder(g, 'x', [2, 3]);
      constant(g, 'max', int32Tensor([], [2]));
      constant(g, 'iou', floatTensor([], [0.5]));
      g.addNode({ name: 'nms', op: 'NonMaxSuppressionV3', inputs: ['boxes', 'scores', 'max', 'iou', 'iou'], attr: { T: F } });
      g.addNode({ name: 'q', op: 'AscendQuant', inputs: ['x'], attr: { T: F, quant_bits: attr.int(8), scale: attr.float(10), offset: attr.float(0), dst_type: attr.str('INT8') } });
      return g;
    },
  },
  {
    name: 'int32 matmul', fetches: ['mm'], slots: [{ name: 'a', dims: [-1, 3], dtype: 'int32' }],
    graph: () => {
      const g = new Graph();
      placeholder(g, 'a', [-1, 3], DataType.DT_INT32);
      constant(g, 'b', int32Tensor([3, 2], [1, 2, 3, 4, 5, 6]));
      g.addNode({ name: 'mm', op: 'BatchMatMulV2', inputs: ['a', 'b'], attr: { T: I, adj_x: attr.bool(false), adj_y: attr.bool(false) } });
      return g;
    },
  },
];

const BACKENDS: BackendName[] = ['cpu', 'wasm'];

interface Pooled {
  subject: Subject;
  session: Session;
  nodes: string[];
  /** A good feed and the values it gives, to check the session still computes right. */
  probe: Feeds;
  expected: number[][];
}

const pool = new Map<string, Pooled>();

/** A valid feed for the slot; with `rng`, of a random size where the slot allows any (0 included). */
function goodFeed(slot: FeedSlot, rng?: Rng): { data: Float32Array | Int32Array; shape: number[] } {
  const shape = slot.dims.map((d) => (d >= 0 ? d : rng ? Math.floor(rng() * 5) : 2));
  const n = shape.reduce((a, b) => a * b, 1);
  const data = slot.dtype === 'int32' ? Int32Array.from({ length: n }, (_, i) => i - 2) : Float32Array.from({ length: n }, (_, i) => (i % 7) / 4 - 0.5);
  return { data, shape };
}

async function outputsOf(p: Pick<Pooled, 'session' | 'subject' | 'probe'>): Promise<number[][]> {
  const out = await p.session.run(p.subject.fetches, p.probe);
  return out.map((t) => Array.from(t.data as Float32Array));
}

async function pooled(subject: Subject, backend: BackendName): Promise<Pooled> {
  const key = `${subject.name}@${backend}`;
  let p = pool.get(key);
  if (!p) {
    const graph = subject.graph();
    const session = await Session.create(graph, { backend });
    const probe = Object.fromEntries(subject.slots.map((s) => [s.name, goodFeed(s)]));
    const partial = { subject, session, probe };
    p = { ...partial, nodes: graph.nodes().map((n) => n.name), expected: await outputsOf(partial) };
    pool.set(key, p);
  }
  return p;
}

/** A deep copy of what the caller gave, to prove the run changed nothing. */
function snapshot(value: unknown): unknown {
  if (value instanceof tf.Tensor) return value.isDisposed ? 'disposed' : Array.from(value.dataSync() as Float32Array);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>);
  if (Array.isArray(value)) return value.map(snapshot);
  if (value !== null && typeof value === 'object' && !(value instanceof ArrayBuffer) && !(value instanceof DataView)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, snapshot(v)]));
  }
  return value;
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

function describeFeeds(feeds: Feeds): string {
  return Object.entries(feeds).map(([k, v]) => {
    if (v instanceof tf.Tensor) return `${k}=tensor(${v.dtype}[${v.shape}])`;
    const raw = v as { data?: unknown; shape?: unknown; dtype?: unknown } | null;
    return `${k}={${raw && typeof raw === 'object' ? `${(raw.data as object)?.constructor?.name}(${(raw.data as { length?: number })?.length}) shape ${JSON.stringify(raw.shape)} ${raw.dtype ?? ''}` : String(raw)}}`;
  }).join(' ');
}

async function runOne(rng: Rng, p: Pooled, made: tf.Tensor[]): Promise<void> {
  // Each placeholder is usually fed, under its own name, with a good value or a random
  // one (so multi-input graphs still run often); sometimes an extra random feed joins.
  const entries: (readonly [string, unknown])[] = [];
  for (const slot of p.subject.slots) {
    if (rng() < 0.05) continue;
    const name = rng() < 0.85 ? slot.name : feedName(rng, slot, p.nodes);
    entries.push([name, rng() < 0.6 ? goodFeed(slot, rng) : feedValue(rng, slot, made)]);
  }
  if (rng() < 0.2) {
    const slot = pick(rng, p.subject.slots);
    entries.push([feedName(rng, slot, p.nodes), feedValue(rng, slot, made)]);
  }
  const feeds = Object.fromEntries(entries) as Feeds;
  const before = snapshot(feeds);
  const tensorsBefore = tf.memory().numTensors;
  let error: unknown;
  try {
    const fetches = rng() < 0.9 ? p.subject.fetches : [pick(rng, p.nodes), `${pick(rng, p.nodes)}:${Math.floor(rng() * 3)}`];
    await p.session.run(fetches, feeds);
  } catch (e) {
    error = e;
  }
  if (process.env.FUZZ_VERBOSE && error instanceof AmctError) console.log(`${error.code}: ${error.message.slice(0, 300)} <- ${p.subject.name}@${p.session.backend} ${describeFeeds(feeds)}`);
  if (error !== undefined && !(error instanceof AmctError && typeof error.code === 'string')) {
    throw new Error(`untyped error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  if (!same(snapshot(feeds), before)) throw new Error('the run changed a feed');
  if (tf.memory().numTensors !== tensorsBefore) throw new Error(`the run left ${tf.memory().numTensors - tensorsBefore} tensors behind`);
  if (!same(await outputsOf(p), p.expected)) throw new Error('after the run the session no longer computes its reference output');
  if (error !== undefined) throw error;
}

export const feedsTarget: FuzzTarget = {
  name: 'feeds',
  async runCase(rng) {
    const p = await pooled(pick(rng, SUBJECTS), pick(rng, BACKENDS));
    const made: tf.Tensor[] = [];
    try {
      await runOne(rng, p, made);
    } finally {
      tf.dispose(made);
    }
  },
  async teardown() {
    for (const p of pool.values()) p.session.dispose();
    pool.clear();
  },
};

export default feedsTarget;
