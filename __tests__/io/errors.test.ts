/** Bad inputs give typed FileFormatErrors naming the file (and node) with a hint. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileFormatError } from '../../src/errors';
import { decodeGraphDef, encodeGraphDef, loadGraph } from '../../src/io';
import { humanModel } from '../helpers/models';
import { pbEncode, shapeObj } from './pb';

let dir: string;
let emotionPb: Uint8Array;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-io-errors-'));
  emotionPb = encodeGraphDef(await loadGraph(humanModel('emotion').path));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, data: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}

async function loadError(file: string): Promise<FileFormatError> {
  const e = await loadGraph(file).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FileFormatError);
  const err = e as FileFormatError;
  expect(err.hint).toBeTruthy();
  return err;
}

const constNode = (tensor: Record<string, unknown>, name = 'c') => ({ name, op: 'Const', attr: { value: { tensor } } });
const graphBytes = (...node: unknown[]) => pbEncode('GraphDef', { node });

describe('.pb files', () => {
  test('missing file, folder, unknown extension', async () => {
    expect((await loadError(path.join(dir, 'nope.pb'))).code).toBe('FILE_NOT_FOUND');
    fs.mkdirSync(path.join(dir, 'folder.pb'));
    expect((await loadError(path.join(dir, 'folder.pb'))).code).toBe('FILE_READ_FAILED');
    expect((await loadError(write('m.pbtxt', 'node {}'))).code).toBe('UNSUPPORTED_FORMAT');
    expect((await loadError(write('m.onnx', ''))).code).toBe('UNSUPPORTED_FORMAT');
  });

  test('a truncated .pb names the file and the node where it broke', async () => {
    const file = write('cut.pb', emotionPb.subarray(0, Math.floor(emotionPb.length / 2)));
    const e = await loadError(file);
    expect(e.code).toBe('PROTOBUF_MALFORMED');
    expect(e.file).toBe(file);
    expect(e.message).toContain(file);
    expect(e.node).toBeDefined();
  });

  test('a huge length prefix fails at once without allocating', async () => {
    const e = await loadError(write('huge.pb', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x00])));
    expect(e.code).toBe('PROTOBUF_MALFORMED');
    expect(e.message).toMatch(/exceeds/);
  });

  test('text and SavedModel files are told apart from GraphDefs', async () => {
    expect((await loadError(write('text.pb', 'hello, this is not a protobuf'))).code).toBe('PROTOBUF_MALFORMED');
    const e = await loadError(write('saved_model.pb', new Uint8Array([0x08, 0x01, 0x12, 0x00])));
    expect(e.message).toMatch(/SavedModel/);
  });

  test('tensor_content that does not match shape × dtype names the node', () => {
    const bytes = graphBytes(constNode({ dtype: 'DT_FLOAT', tensorShape: shapeObj([3]), tensorContent: new Uint8Array(8) }, 'bad_const'));
    expect(() => decodeGraphDef(bytes, 'x.pb')).toThrow(expect.objectContaining({ code: 'PROTOBUF_MALFORMED', node: 'bad_const', file: 'x.pb' }));
  });

  test.each([
    ['a negative dimension', { dtype: 'DT_FLOAT', tensorShape: shapeObj([-1, 2]), floatVal: [1] }, 'PROTOBUF_MALFORMED', /negative/],
    ['an impossible shape', { dtype: 'DT_FLOAT', tensorShape: shapeObj([2 ** 40, 2 ** 40]), floatVal: [0] }, 'PROTOBUF_MALFORMED', /more than any tensor can hold/],
    ['more values than elements', { dtype: 'DT_INT32', tensorShape: shapeObj([1]), intVal: [1, 2] }, 'PROTOBUF_MALFORMED', /values/],
    ['an unknown dtype', { dtype: 99, tensorShape: shapeObj([1]) }, 'UNSUPPORTED_DTYPE', /dtype 99/],
  ])('a Const with %s names the node', (_what, tensor, code, message) => {
    const t0 = Date.now();
    expect(() => decodeGraphDef(graphBytes(constNode(tensor)), 'x.pb')).toThrow(expect.objectContaining({ code, node: 'c', message: expect.stringMatching(message) }));
    expect(Date.now() - t0).toBeLessThan(1000); // nothing absurd was allocated
  });

  test('a Const whose shape claims 2^40 elements from one stored value loads and saves unexpanded; reading it names node and size', () => {
    const bytes = graphBytes(constNode({ dtype: 'DT_FLOAT', tensorShape: shapeObj([1 << 20, 1 << 20]), floatVal: [0] }));
    const graph = decodeGraphDef(bytes, 'x.pb');
    expect(Buffer.from(encodeGraphDef(graph)).equals(Buffer.from(bytes))).toBe(true);
    const value = graph.getNode('c').attr.value;
    expect(() => value.kind === 'tensor' && value.value.data).toThrow(
      expect.objectContaining({ code: 'TENSOR_TOO_LARGE', node: 'c', file: 'x.pb', message: expect.stringMatching(/claims 1099511627776 elements \(4398046511104 bytes\)/) }),
    );
  });

  test('a Const of repeated values within the limit expands when read, and keeps its short form when saved', () => {
    const bytes = graphBytes(constNode({ dtype: 'DT_FLOAT', tensorShape: shapeObj([512, 1024]), floatVal: [1, 2] }));
    const graph = decodeGraphDef(bytes, 'x.pb');
    const value = graph.getNode('c').attr.value;
    const data = value.kind === 'tensor' ? (value.value.data as Float32Array) : new Float32Array(0);
    expect([data.length, data[0], data[1], data[data.length - 1]]).toEqual([512 * 1024, 1, 2, 2]);
    expect(Buffer.from(encodeGraphDef(graph)).equals(Buffer.from(bytes))).toBe(true);
  });

  test('graph-level problems: duplicate names, inputs after control inputs, nameless nodes', () => {
    const dup = graphBytes({ name: 'a', op: 'NoOp' }, { name: 'a', op: 'NoOp' });
    expect(() => decodeGraphDef(dup, 'd.pb')).toThrow(expect.objectContaining({ code: 'DUPLICATE_NODE', file: 'd.pb', node: 'a' }));
    const order = graphBytes({ name: 'a', op: 'NoOp' }, { name: 'b', op: 'Identity', input: ['^a', 'a'] });
    expect(() => decodeGraphDef(order)).toThrow(expect.objectContaining({ code: 'INVALID_GRAPH', node: 'b' }));
    expect(() => decodeGraphDef(graphBytes({ op: 'NoOp' }))).toThrow(expect.objectContaining({ code: 'INVALID_GRAPH' }));
  });
});

describe('model.json files', () => {
  const topology = { node: [{ name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shapeObj([2]) } } } }], versions: {} };
  const manifest = (weights: unknown[], paths = ['w.bin']) => [{ paths, weights }];
  const model = (name: string, json: unknown, shard?: Uint8Array) => {
    if (shard) write(`${name}/w.bin`, shard);
    return write(`${name}/model.json`, typeof json === 'string' ? json : JSON.stringify(json));
  };
  const floatSpec = { name: 'w', shape: [2], dtype: 'float32' };

  test('a good one loads (the fixture is sound)', async () => {
    const g = await loadGraph(model('good', { format: 'graph-model', modelTopology: topology, weightsManifest: manifest([floatSpec]) }, new Uint8Array(8)));
    expect(g.getNode('w').op).toBe('Const');
  });

  test('invalid JSON', async () => {
    expect((await loadError(model('invalid', '{"format": "graph-model", '))).code).toBe('MODEL_JSON_MALFORMED');
  });

  test('a missing shard names the shard', async () => {
    const e = await loadError(model('noshard', { modelTopology: topology, weightsManifest: manifest([floatSpec]) }));
    expect(e.code).toBe('WEIGHTS_MISSING');
    expect(e.message).toContain('w.bin');
  });

  test('a short shard names the weight and the file', async () => {
    const file = model('short', { modelTopology: topology, weightsManifest: manifest([floatSpec]) }, new Uint8Array(5));
    const e = await loadError(file);
    expect(e).toMatchObject({ code: 'WEIGHTS_SHORT', node: 'w', file });
  });

  test.each([
    ['weight dtype', [{ ...floatSpec, dtype: 'float64' }], 'UNSUPPORTED_DTYPE'],
    ['quantization dtype', [{ ...floatSpec, quantization: { dtype: 'int4' } }], 'UNSUPPORTED_DTYPE'],
    ['quantization without min/scale', [{ ...floatSpec, quantization: { dtype: 'uint8' } }], 'MODEL_JSON_MALFORMED'],
    ['weight shape', [{ ...floatSpec, shape: [2, -1] }], 'MODEL_JSON_MALFORMED'],
  ])('an unknown or bad %s', async (what, weights, code) => {
    const e = await loadError(model(`bad-${what.replace(/\W/g, '')}`, { modelTopology: topology, weightsManifest: manifest(weights) }, new Uint8Array(64)));
    expect(e.code).toBe(code);
  });

  test('an unknown attr dtype names the node', async () => {
    const topo = { node: [{ name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT128' } } }] };
    expect(await loadError(model('attrdtype', { modelTopology: topo, weightsManifest: [] }))).toMatchObject({ code: 'UNSUPPORTED_DTYPE', node: 'x' });
  });

  test('a Const without weight or inline value', async () => {
    expect(await loadError(model('noweight', { modelTopology: topology, weightsManifest: [] }))).toMatchObject({ code: 'WEIGHTS_MISSING', node: 'w' });
  });

  test('a weight whose shape disagrees with its node', async () => {
    const e = await loadError(model('shape', { modelTopology: topology, weightsManifest: manifest([{ ...floatSpec, shape: [1, 2] }]) }, new Uint8Array(8)));
    expect(e).toMatchObject({ code: 'MODEL_JSON_MALFORMED', node: 'w' });
  });

  test('layers models, URL shards, topologies that do not fit the schema', async () => {
    expect((await loadError(model('layers', { format: 'layers-model', modelTopology: { class_name: 'Sequential' } }))).code).toBe('UNSUPPORTED_FORMAT');
    expect((await loadError(model('url', { modelTopology: topology, weightsManifest: manifest([floatSpec], ['https://x.org/w.bin']) }))).code).toBe('UNSUPPORTED_FORMAT');
    expect((await loadError(model('notopo', { weightsManifest: [] }))).code).toBe('MODEL_JSON_MALFORMED');
    expect((await loadError(model('schema', { modelTopology: { node: [{ name: 'a', op: 'X', attr: { k: { list: 5 } } }] } }))).code).toBe('MODEL_JSON_MALFORMED');
    expect((await loadError(model('nodes', { modelTopology: { node: [7] } }))).code).toBe('MODEL_JSON_MALFORMED');
  });
});
