/**
 * GraphDef mutations at the message level: what survives protobuf decoding and tests the
 * graph checks behind it (dangling inputs, cycles, duplicate names, Consts whose shape
 * claims billions of elements, long chains, attributes of the wrong kind, a junk library).
 */
import { decodeMessage, encodeMessage } from '../src/io/pb';
import type { PbAttrValue, PbGraphDef, PbNodeDef } from '../src/io/pb';
import { int, pick } from './rng';

type Rand = () => number;
type MessageMutation = (g: PbGraphDef & { node: PbNodeDef[] }, rand: Rand) => void;

const inputsOf = (n: PbNodeDef) => (n.input ??= []);

const MUTATIONS: MessageMutation[] = [
  (g, r) => { // an input no node produces
    const n = pick(r, g.node);
    inputsOf(n).unshift(pick(r, ['nowhere', 'nowhere:3', `${n.name}:99`, '^gone']));
  },
  (g, r) => { // a cycle: a producer reads one of its consumers
    const withInput = g.node.filter((n) => (n.input ?? []).length > 0);
    if (withInput.length === 0) return;
    const consumer = pick(r, withInput);
    const producer = g.node.find((n) => n.name === consumer.input![0].replace(/^\^/, '').split(':')[0]);
    if (producer) inputsOf(producer).unshift(consumer.name!);
  },
  (g, r) => { // a Const claiming a huge shape from one stored value
    const consts = g.node.filter((n) => n.attr?.value?.tensor);
    if (consts.length === 0) return;
    const t = pick(r, consts).attr!.value!.tensor!;
    const side = pick(r, [4096, 65536, 1 << 20, 2 ** 31]);
    t.tensorShape = { dim: [{ size: side }, { size: side }] };
    delete t.tensorContent;
    t.floatVal = [1];
    t.intVal = [1];
  },
  (g, r) => { // duplicate names
    const a = pick(r, g.node);
    a.name = pick(r, g.node).name;
  },
  (g, r) => { // a node removed
    g.node.splice(int(r, g.node.length), 1);
  },
  (g, r) => { // a long Identity chain onto an existing tensor
    const from = pick(r, g.node).name!;
    const n = pick(r, [100, 2000, 10_000]);
    for (let i = 0; i < n; i++) g.node.push({ name: `chain/${i}`, op: 'Identity', input: [i === 0 ? from : `chain/${i - 1}`], attr: { T: { type: 1 } } });
  },
  (g, r) => { // an attribute of another kind or size
    const n = pick(r, g.node);
    const values: PbAttrValue[] = [{ i: 2 ** 40 }, { f: NaN }, { s: new Uint8Array(3) }, { list: { i: Array.from({ length: 10_000 }, () => 7) } }, { type: 99 }, { shape: { dim: [{ size: -7 }] } }, { b: true }];
    const keys = Object.keys(n.attr ?? {});
    (n.attr ??= {})[keys.length > 0 && r() < 0.7 ? pick(r, keys) : pick(r, ['T', 'strides', 'padding', 'data_format', 'dtype', 'value'])] = pick(r, values);
  },
  (g, r) => { // a function library of junk bytes
    g.library = Uint8Array.from({ length: 1 + int(r, 200) }, () => int(r, 256));
  },
  (g, r) => { // an op changed
    pick(r, g.node).op = pick(r, ['Conv2D', 'MatMul', 'Const', 'Placeholder', 'Merge', 'NextIteration', 'NoSuchOp', '']);
  },
];

export function mutatePbMessage(seed: Uint8Array, rand: Rand): Uint8Array {
  const g = decodeMessage<PbGraphDef>('GraphDef', seed) as PbGraphDef & { node: PbNodeDef[] };
  g.node ??= [];
  if (g.node.length === 0) return seed;
  for (let k = 1 + int(rand, 2); k > 0; k--) pick(rand, MUTATIONS)(g, rand);
  return encodeMessage('GraphDef', g);
}
