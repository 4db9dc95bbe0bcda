/**
 * TensorFlow.js graph models: model.json → .pb → loadGraph and .pb → model.json →
 * loadGraph give identical nodes and values; quantized weights dequantize as tfjs does.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { graphFromArtifacts, loadGraph, saveGraph } from '../../src/io';
import { DataType } from '../../src/ir';
import type { Graph, TensorValue } from '../../src/ir';
import { FLOAT16_MODELS, FLOAT_MODELS, nsfwjsArtifacts, nsfwjsModel, UINT8_MODEL } from '../helpers/models';
import { comparable, digest } from './compare';

let dir: string;
beforeAll(async () => {
  tf.env().set('IS_TEST', true); // silences tfjs's "install tfjs-node" banner
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-io-json-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const constValue = (g: Graph, name: string): TensorValue => {
  const a = g.getNode(name).attr.value;
  if (a?.kind !== 'tensor') throw new Error(`${name} is not a Const`);
  return a.value;
};

describe.each([...FLOAT_MODELS, { name: 'nsfwjs', path: '' }])('$name', ({ name, path: file }) => {
  let original: Graph;
  beforeAll(async () => {
    original = await loadGraph(file || nsfwjsModel().path);
  });

  test('graph model → .pb → loadGraph: identical nodes and values', async () => {
    const pb = path.join(dir, `${name}.pb`);
    await saveGraph(original, pb);
    expect(comparable(await loadGraph(pb))).toEqual(comparable(original));
  });

  test('.pb → model.json → loadGraph: identical nodes and values', async () => {
    const fromPb = await loadGraph(path.join(dir, `${name}.pb`));
    const out = path.join(dir, name, 'model.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await saveGraph(fromPb, out);
    expect(fs.existsSync(path.join(dir, name, 'group1-shard1of1.bin'))).toBe(true);
    const back = await loadGraph(out);
    expect(comparable(back)).toEqual(comparable(fromPb));
    expect(back.meta.versions).toEqual(fromPb.meta.versions);
  });
});

/** What tfjs itself decodes from the same manifest and bytes. */
function tfjsWeights(modelJson: { weightsManifest: { weights: unknown[] }[] }, data: Uint8Array) {
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
  return tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer, specs);
}

describe('stored-quantized weights load as DT_FLOAT, exactly as tfjs dequantizes them', () => {
  test('nsfwjs (uint8 affine)', () => {
    const { modelJson, weightData } = nsfwjsArtifacts();
    const graph = graphFromArtifacts(modelJson, weightData);
    const expected = tfjsWeights(modelJson, weightData);
    for (const [name, t] of Object.entries(expected)) {
      const v = constValue(graph, name);
      expect(v.dtype).toBe(t.dtype === 'float32' ? DataType.DT_FLOAT : DataType.DT_INT32);
      expect(digest(v.data)).toBe(digest(t.dataSync() as Float32Array));
    }
  });

  test.each([...FLOAT16_MODELS, UINT8_MODEL])('$name', ({ path: file }) => {
    const modelJson = JSON.parse(fs.readFileSync(file, 'utf8'));
    const data = fs.readFileSync(path.join(path.dirname(file), modelJson.weightsManifest[0].paths[0]));
    const graph = graphFromArtifacts(modelJson, data, { file });
    for (const [name, t] of Object.entries(tfjsWeights(modelJson, data))) {
      expect(digest(constValue(graph, name).data)).toBe(digest(t.dataSync() as Float32Array));
    }
  });
});

describe('model.json extras', () => {
  test('signature and metadata are kept; a non-model.json name gets <name>.bin', async () => {
    const g = await loadGraph(FLOAT16_MODELS[0].path);
    expect(g.meta.tfjs?.signature).toBeDefined();
    const out = path.join(dir, 'anti.json');
    await saveGraph(g, out);
    expect(fs.existsSync(path.join(dir, 'anti.bin'))).toBe(true);
    const written = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(written.signature).toEqual(g.meta.tfjs?.signature);
    expect(written.format).toBe('graph-model');
    expect(written.weightsManifest).toEqual([{ paths: ['anti.bin'], weights: expect.any(Array) }]);
  });

  test('a function library goes JSON → .pb → JSON unchanged', async () => {
    const library = {
      function: [{ signature: { name: 'f', inputArg: [{ name: 'x', type: 'DT_FLOAT' }], outputArg: [{ name: 'y', type: 'DT_FLOAT' }] }, nodeDef: [{ name: 'id', op: 'Identity', input: ['x'], attr: { T: { type: 'DT_FLOAT' } } }], ret: { y: 'id:output:0' } }],
    };
    const modelJson = { format: 'graph-model', modelTopology: { node: [{ name: 'a', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' } } }], library, versions: { producer: 1 } }, weightsManifest: [] };
    const g = graphFromArtifacts(modelJson, new Uint8Array(0));
    await saveGraph(g, path.join(dir, 'lib.pb'));
    const fromPb = await loadGraph(path.join(dir, 'lib.pb'));
    expect(fromPb.meta.library?.raw).toEqual(g.meta.library?.raw);
    await saveGraph(fromPb, path.join(dir, 'lib', 'model.json').replace('lib/model', 'lib-model'));
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'lib-model.json'), 'utf8'));
    expect(written.modelTopology.library).toEqual(library);
  });
});
