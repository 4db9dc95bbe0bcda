/**
 * loadGraph(file, { deferContent: true }) (saveModel's read): tensor_content stays the
 * file's bytes until `data` is first read, is written back as it was when never read, and
 * planLayer quantizes a float weight from those bytes without reading it. The default
 * decode still copies at once, so a caller's buffer can change after.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileFormatError } from '../../src/errors';
import { messageType } from '../../src/io/schema';
import { decodeGraphDef, encodeGraphDef, loadGraph, saveGraph } from '../../src/io';
import { attrTensor, toFloat32 } from '../../src/ir';
import { unreadContent } from '../../src/ir/tensor-lazy';
import { findLayers, planLayer, prepareGraph } from '../../src/passes';
import { quantizeWeights } from '../../src/quant';
import type { LayerRecord } from '../../src/record';
import { GraphBuilder } from '../helpers/graph-builders';
import { saveModel } from '../../src/api/save-model';
import { readDeferred } from '../../src/ir/tensor-lazy';
import type { TensorValue } from '../../src/ir';
import { randomFeeds } from '../passes/session-compare';
import { calibrate, writeRecordFile } from '../api/save-fixtures';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-lazy-content-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A conv + bias + relu graph written as a .pb; its bytes. */
async function convPb(name: string): Promise<{ file: string; bytes: Buffer }> {
  const b = new GraphBuilder(17);
  b.unary('out', 'Relu', b.biasAdd('ba', b.conv2d('conv', b.input(), [3, 3, 3, 5]), 5));
  const file = path.join(dir, `${name}.pb`);
  await saveGraph(b.graph, file);
  return { file, bytes: fs.readFileSync(file) };
}

describe('deferred tensor_content', () => {
  test('never read: unreadContent is the file\'s bytes, and the graph encodes byte for byte as the file', async () => {
    const { file, bytes } = await convPb('unread');
    const g = await loadGraph(file, { deferContent: true });
    const w = attrTensor(g.getNode('conv/weights'));
    expect(unreadContent(w)?.length).toBe(3 * 3 * 3 * 5 * 4);
    expect(Buffer.from(encodeGraphDef(g)).equals(bytes)).toBe(true);
    expect(unreadContent(w)).toBeDefined(); // encoding did not read it
  });

  test('read: the same values as an eager load, copied out once; then edits are what gets encoded', async () => {
    const { file } = await convPb('read');
    const [lazy, eager] = [await loadGraph(file, { deferContent: true }), await loadGraph(file)];
    const w = attrTensor(lazy.getNode('conv/weights'));
    expect(unreadContent(attrTensor(eager.getNode('conv/weights')))).toBeUndefined();
    const values = toFloat32(w);
    expect(Array.from(values)).toEqual(Array.from(toFloat32(attrTensor(eager.getNode('conv/weights')))));
    expect(unreadContent(w)).toBeUndefined();
    expect(w.data).toBe(values); // settled: the same array from now on
    values[0] = 42;
    const again = decodeGraphDef(encodeGraphDef(lazy));
    expect(toFloat32(attrTensor(again.getNode('conv/weights')))[0]).toBe(42);
  });

  test('assigning data before any read replaces the file\'s bytes', async () => {
    const { file } = await convPb('assigned');
    const g = await loadGraph(file, { deferContent: true });
    const w = attrTensor(g.getNode('conv/weights'));
    w.data = new Float32Array(w.shape.dims.reduce((a, d) => a * d, 1)).fill(0.5);
    expect(unreadContent(w)).toBeUndefined();
    expect(toFloat32(attrTensor(decodeGraphDef(encodeGraphDef(g)).getNode('conv/weights')))[7]).toBe(0.5);
  });

  test('a shape edited while the bytes are unread no longer fits them: encoding says so', async () => {
    const { file } = await convPb('reshaped');
    const g = await loadGraph(file, { deferContent: true });
    attrTensor(g.getNode('conv/weights')).shape.dims[3] = 6;
    expect(() => encodeGraphDef(g)).toThrow(FileFormatError);
    expect(() => encodeGraphDef(g)).toThrow(/cannot encode node conv\/weights: tensor_content has 540 bytes but 162 elements/);
  });

  test('the default decode copies at once: changing the caller\'s buffer after does not change the graph', async () => {
    const { bytes } = await convPb('copied');
    const g = decodeGraphDef(bytes);
    const before = Array.from(toFloat32(attrTensor(g.getNode('conv/weights'))));
    bytes.fill(0);
    expect(Array.from(toFloat32(attrTensor(g.getNode('conv/weights'))))).toEqual(before);
  });

  test('a tensor_content of the wrong length fails the decode, deferred or not', () => {
    const b = new GraphBuilder(3);
    b.const('c', [2, 2], [1, 2, 3, 4]);
    const T = messageType('GraphDef');
    const message = T.toObject(T.decode(encodeGraphDef(b.graph))) as { node: { attr: Record<string, { tensor: { tensorContent: Uint8Array } }> }[] };
    message.node[0].attr.value.tensor.tensorContent = Uint8Array.from([1, 2, 3]);
    const bad = T.encode(T.fromObject(message)).finish();
    for (const deferContent of [true, false]) expect(() => decodeGraphDef(bad, { deferContent })).toThrow(/tensor_content has 3 bytes but 4 elements/);
  });

  test('planLayer quantizes a never-read float weight from the file\'s bytes, leaving it unread, with the same int8', async () => {
    const { file } = await convPb('plan');
    const g = await loadGraph(file, { deferContent: true });
    prepareGraph(g);
    const layer = findLayers(g).find((l) => l.name === 'conv')!;
    const scaleW = Array.from({ length: 5 }, (_, i) => Math.fround(0.003 * (i + 1)));
    const record: LayerRecord = { scaleD: 0.02, offsetD: -128, scaleW, offsetW: [], shiftBit: [] };
    const plan = planLayer(g, layer, new Map([['conv', record]]));
    const w = attrTensor(g.getNode('conv/weights'));
    expect(unreadContent(w)).toBeDefined();
    const eager = await loadGraph(file);
    expect(plan.weight!.weightInt8).toEqual(quantizeWeights(toFloat32(attrTensor(eager.getNode('conv/weights'))), [3, 3, 3, 5], Float32Array.from(scaleW), 3));
  });

  test('readDeferred copies out every unread tensor of a graph, so it no longer needs the file\'s bytes', async () => {
    const { file, bytes } = await convPb('settle');
    const g = await loadGraph(file, { deferContent: true });
    const tensors = (): TensorValue[] => g.nodes().flatMap((n) => Object.values(n.attr).flatMap((a) => (a.kind === 'tensor' ? [a.value] : [])));
    expect(tensors().filter((t) => unreadContent(t)).length).toBeGreaterThan(1);
    for (const n of g.nodes()) readDeferred(Object.values(n.attr));
    expect(tensors().filter((t) => unreadContent(t))).toEqual([]);
    expect(Buffer.from(encodeGraphDef(g)).equals(bytes)).toBe(true);
  });

  test('saveModel returns a graph that does not hold the model file: no tensor is left unread', async () => {
    const b = new GraphBuilder(23);
    b.unary('out', 'Relu', b.biasAdd('ba', b.conv2d('conv', b.input(), [3, 3, 3, 5]), 5));
    b.const('unused_shape', [4], [1, 2, 3, 4]); // a Const saveModel does not replace
    const file = path.join(dir, 'save.pb');
    await saveGraph(b.graph, file);
    const record = await writeRecordFile(dir, await calibrate(b.graph, [randomFeeds(b.graph, 1)]));
    const result = await saveModel(file, ['out'], record, path.join(dir, 'deploy'));
    const tensors = result.graph.nodes().flatMap((n) => Object.values(n.attr).flatMap((a) => (a.kind === 'tensor' ? [a.value] : [])));
    expect(tensors.length).toBeGreaterThan(3);
    expect(tensors.filter((t) => unreadContent(t))).toEqual([]);
    expect(Buffer.from(encodeGraphDef(result.graph)).equals(fs.readFileSync(result.quantizedPb))).toBe(true);
  });
});
