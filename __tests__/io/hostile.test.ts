/**
 * Small hostile model files: each is a typed error naming the file (and node) with a
 * hint, found at load, or a file that loads as it should.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AmctError } from '../../src/errors';
import { attr, DataType, Graph } from '../../src/ir';
import { encodeGraphDef, loadGraph, saveGraph } from '../../src/io';
import { humanModel } from '../helpers/models';
import { pbEncode } from './pb';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-io-hostile-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function loadError(file: string): Promise<AmctError> {
  const e = await loadGraph(file).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(AmctError);
  expect((e as AmctError).hint).toBeTruthy();
  return e as AmctError;
}

function writePb(name: string, nodes: Record<string, unknown>[], extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, pbEncode('GraphDef', { node: nodes, ...extra }));
  return file;
}

const placeholder = { name: 'x', op: 'Placeholder', attr: { dtype: { type: 1 } } };

test('a 0-byte .pb is an error, not an empty graph', async () => {
  const file = path.join(dir, 'empty.pb');
  fs.writeFileSync(file, '');
  expect(await loadError(file)).toMatchObject({ code: 'PROTOBUF_MALFORMED', file, message: expect.stringMatching(/empty \(0 bytes\)/) });
});

test('a .pb with no nodes is INVALID_GRAPH', async () => {
  const file = writePb('nodes.pb', [], { versions: { producer: 1 } });
  expect(await loadError(file)).toMatchObject({ code: 'INVALID_GRAPH', file });
});

test('dangling inputs and cycles are reported at load, naming the file and node', async () => {
  const dangling = writePb('d.pb', [placeholder, { name: 'y', op: 'Identity', input: ['gone:0'] }]);
  expect(await loadError(dangling)).toMatchObject({ code: 'DANGLING_INPUT', file: dangling, node: 'y' });
  const control = writePb('c.pb', [placeholder, { name: 'y', op: 'Identity', input: ['x', '^gone'] }]);
  expect(await loadError(control)).toMatchObject({ code: 'DANGLING_INPUT', file: control, node: 'y' });
  const cycle = writePb('cy.pb', [placeholder, { name: 'a', op: 'AddV2', input: ['x', 'b'] }, { name: 'b', op: 'Identity', input: ['a'] }]);
  expect(await loadError(cycle)).toMatchObject({ code: 'GRAPH_CYCLE', file: cycle });
});

test('saveGraph to model.json of a graph whose library holds malformed bytes is a typed error, and writes nothing', async () => {
  const file = writePb('lib.pb', [placeholder], { library: new Uint8Array([0x0a, 0xff, 0xff, 0x03, 0x01]) });
  const graph = await loadGraph(file);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  const e = await saveGraph(graph, path.join(out, 'model.json')).then(() => undefined, (err: unknown) => err);
  expect(e).toMatchObject({ code: 'PROTOBUF_MALFORMED', file: path.join(out, 'model.json'), hint: expect.stringMatching(/save the graph as .pb/) });
  expect(fs.readdirSync(out)).toEqual([]);
  await saveGraph(graph, path.join(out, 'kept.pb')); // .pb keeps the bytes as they were
  expect((await loadGraph(path.join(out, 'kept.pb'))).meta.library?.raw).toEqual(new Uint8Array([0x0a, 0xff, 0xff, 0x03, 0x01]));
});

/** A copy of human's liveness model whose parsed model.json `edit` changes. */
function liveness(edit: (json: Record<string, any>) => void, shardName = 'liveness.bin', listed = shardName): string {
  const model = humanModel('liveness');
  const json = JSON.parse(fs.readFileSync(model.path, 'utf8'));
  edit(json);
  json.weightsManifest[0].paths = [listed];
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, JSON.stringify(json));
  fs.copyFileSync(model.path.replace(/\.json$/, '.bin'), path.join(dir, shardName));
  return file;
}

test('a weights manifest path is URL-decoded as tfjs writes it (my%20shard.bin is "my shard.bin")', async () => {
  const graph = await loadGraph(liveness(() => undefined, 'my shard.bin', 'my%20shard.bin'));
  expect(graph.meta.sourceFiles).toContain(path.join(dir, 'my shard.bin'));
});

test('a weight Const whose tensorShape.dim is not a list is MODEL_JSON_MALFORMED naming the node', async () => {
  let node = '';
  const file = liveness((json) => {
    const c = json.modelTopology.node.find((n: any) => n.op === 'Const' && json.weightsManifest[0].weights.some((w: any) => w.name === n.name));
    node = c.name;
    c.attr.value.tensor.tensorShape.dim = { size: '3' };
  });
  expect(await loadError(file)).toMatchObject({ code: 'MODEL_JSON_MALFORMED', file, node });
});

test('a model.json nested 10,000 deep is MODEL_JSON_MALFORMED, not a stack overflow', async () => {
  const model = humanModel('liveness');
  const text = fs.readFileSync(model.path, 'utf8').replace('"modelTopology":', `"extra":${JSON.stringify({ a: 1 }).replace('1', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000))},"modelTopology":`);
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, text);
  fs.copyFileSync(model.path.replace(/\.json$/, '.bin'), path.join(dir, 'liveness.bin'));
  expect(await loadError(file)).toMatchObject({ code: 'MODEL_JSON_MALFORMED', file, message: expect.stringMatching(/deeper than 100 levels/) });
});

// bench/scaling.ts measures chains of 1k to 100k nodes; this checks a long one works end to end.
test('a chain of 5,000 Identity nodes loads, validates and saves (no recursion on the chain)', async () => {
  const nodes = [{ name: 'x', op: 'Placeholder', inputs: [], controlInputs: [], device: '', attr: { dtype: attr.type(DataType.DT_FLOAT) } }];
  for (let i = 0; i < 5_000; i++) nodes.push({ name: `id${i}`, op: 'Identity', inputs: [i ? `id${i - 1}` : 'x'], controlInputs: [], device: '', attr: { T: attr.type(DataType.DT_FLOAT) } } as never);
  const file = path.join(dir, 'chain.pb');
  fs.writeFileSync(file, encodeGraphDef(new Graph(nodes)));
  const graph = await loadGraph(file);
  expect(graph.topologicalOrder().map((n) => n.name).slice(-2)).toEqual(['id4998', 'id4999']);
  await saveGraph(graph, path.join(dir, 'chain2.pb'));
  expect(fs.readFileSync(path.join(dir, 'chain2.pb'))).toEqual(fs.readFileSync(file));
});
