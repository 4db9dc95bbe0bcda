/**
 * quantizeModel: the calibration graph it builds in place, what it returns (inserted
 * nodes, changed outputs), and the errors a user can cause, each typed and naming the
 * layer or field, and each leaving the user's graph exactly as it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  attrInt, attrString, ConfigError, createQuantConfig, FileFormatError, Graph, GraphError, quantizeModel, Session,
} from '../../src';
import { readRecord } from '../../src/record';
import { GraphBuilder, opCounts } from '../helpers/graph-builders';
import { batch, cosine, tempDir, tinyNet } from './calibration-fixtures';

let dir: string;
let config: string;
let record: string;
beforeEach(async () => {
  dir = await tempDir('amct-quantize-');
  config = path.join(dir, 'config.json');
  record = path.join(dir, 'record.txt');
});
afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

/** Nodes as text, to prove a graph did not change. */
const fingerprint = (g: Graph) => g.nodes().map((n) => `${n.name}:${n.op}(${n.inputs.join(',')})`).join('\n');

function editConfig(edit: (json: Record<string, any>) => void): void {
  const json = JSON.parse(fs.readFileSync(config, 'utf8'));
  edit(json);
  fs.writeFileSync(config, JSON.stringify(json, null, 4));
}

/** input → conv1 → pool (MaxPool) → fused (_FusedConv2D + BiasAdd + Relu, the graph output); conv3's filter is a Placeholder. */
function netWithFusedOutput(): Graph {
  const b = new GraphBuilder(3);
  const x = b.input('input', [-1, 6, 6, 3]);
  const pool = b.pool('pool', 'MaxPool', b.unary('relu', 'Relu', b.conv2d('conv1', x, [3, 3, 3, 4])));
  b.fused('fused', '_FusedConv2D', pool, b.const('fw', [1, 1, 4, 2]), ['BiasAdd', 'Relu'], [b.const('fb', [2])]);
  b.input('wph', [1, 1, 3, 2]);
  b.conv2d('conv3', x, 'wph');
  return b.graph;
}

describe('the calibration graph', () => {
  it('puts QuantIfmr on data inputs and QuantArq on weights, with every setting as attributes', async () => {
    const graph = tinyNet();
    await createQuantConfig(config, graph, { batchNum: 2 });
    const result = await quantizeModel(graph, config, path.relative(process.cwd(), record));
    graph.validate();
    expect(result.recordFile).toBe(record);
    expect(result.recordKeys).toEqual(['conv1', 'conv2']);
    expect([...result.inserted.activation]).toEqual([['conv1', 'conv1/act_quant/QuantIfmr'], ['conv2', 'conv2/act_quant/QuantIfmr']]);
    expect([...result.inserted.weight]).toEqual([['conv1', 'conv1/weight_quant/QuantArq'], ['conv2', 'conv2/weight_quant/QuantArq']]);
    expect(opCounts(graph)).toMatchObject({ QuantIfmr: 2, QuantArq: 2 });
    expect(opCounts(graph).FusedBatchNormV3).toBeUndefined(); // folded in place, as AMCT edits the tf.Graph
    const act = graph.getNode('conv2/act_quant/QuantIfmr');
    expect(act.inputs).toEqual(['relu1']);
    expect(graph.getNode('conv2').inputs).toEqual(['conv2/act_quant/QuantIfmr', 'conv2/weight_quant/QuantArq']);
    expect([attrString(act, 'layer_name'), attrString(act, 'record_file'), attrInt(act, 'batch_num')]).toEqual(['conv2', record, 2]);
  });

  it('computes what the float graph computes, up to the weights\' INT8 rounding (the BN is folded once)', async () => {
    const float = tinyNet();
    const graph = tinyNet();
    await createQuantConfig(config, graph);
    await quantizeModel(graph, config, record);
    const outputs = await Promise.all([float, graph].map(async (g) => {
      const session = await Session.create(g, { backend: 'cpu' });
      const out = await session.run('bn', { input: batch(1) });
      session.dispose();
      return out.data as Float32Array;
    }));
    expect(cosine(outputs[0], outputs[1])).toBeGreaterThan(0.999);
  });

  it('returns outputs renamed by the preparation, and calibOutputs under their new names', async () => {
    const graph = netWithFusedOutput();
    await createQuantConfig(config, graph);
    const result = await quantizeModel(graph, config, record, { calibOutputs: ['fused:0', 'relu'] });
    expect(result.changedOutputs).toEqual({ fused: 'fused/Relu' });
    expect(result.calibOutputs).toEqual(['fused/Relu', 'relu']);
    const session = await Session.create(graph, { backend: 'cpu' });
    await session.run(result.calibOutputs, { input: batch(1) });
    session.dispose();
    expect([...(await readRecord(record)).keys()]).toEqual(['conv1', 'fused']);
  });

  it('tensor_quantize puts a node on one input of a MaxPool, recorded as layer:index', async () => {
    const graph = netWithFusedOutput();
    const cfg = path.join(dir, 'q.cfg');
    fs.writeFileSync(cfg, 'tensor_quantize { layer_name: "pool" input_index: 0 }\nskip_layers: "fused"');
    await createQuantConfig(config, graph, { configDefinition: cfg });
    const result = await quantizeModel(graph, config, record);
    expect(result.inserted.activation.get('pool:0')).toBe('pool/act_quant_0/QuantIfmr');
    expect(result.inserted.weight.has('fused')).toBe(false);
    const session = await Session.create(graph, { backend: 'cpu' });
    await session.run('fused/Relu', { input: batch(1) });
    session.dispose();
    const records = await readRecord(record);
    expect([...records.keys()]).toEqual(['conv1', 'pool:0']);
    expect(records.get('pool:0')!.scaleW).toEqual([]);
  });

  it('follows do_fusion from the config: false keeps the BN', async () => {
    const graph = tinyNet();
    const cfg = path.join(dir, 'q.cfg');
    fs.writeFileSync(cfg, 'do_fusion: false');
    await createQuantConfig(config, graph, { configDefinition: cfg });
    await quantizeModel(graph, config, record);
    expect(graph.getNode('bn').op).toBe('FusedBatchNormV3');
  });
});

describe('quantizeModel errors', () => {
  it('refuses a graph that already holds calibration or Ascend nodes', async () => {
    const graph = tinyNet();
    await createQuantConfig(config, graph);
    await quantizeModel(graph, config, record);
    const e = await quantizeModel(graph, config, record).catch((x) => x);
    expect(e).toBeInstanceOf(GraphError);
    expect(e).toMatchObject({ code: 'MODEL_ALREADY_QUANTIZED', node: 'conv1/act_quant/QuantIfmr' });
    const ascend = tinyNet();
    ascend.addNode({ name: 'q', op: 'AscendQuant', inputs: ['input'] });
    await expect(quantizeModel(ascend, config, record)).rejects.toMatchObject({ code: 'MODEL_ALREADY_QUANTIZED', node: 'q' });
  });

  type Case = [string, (json: Record<string, any>) => void, Record<string, unknown>, RegExp];
  const cases: Case[] = [
    ['an unknown layer', (j) => (j.ghost = j.conv1), { code: 'LAYER_NOT_FOUND', layer: 'ghost' }, /Layer ghost does not exist in the graph/],
    ['an unquantizable layer', (j) => (j.conv3 = j.conv1), { code: 'LAYER_NOT_QUANTIZABLE', layer: 'conv3' }, /Layer conv3 does not support quantization: filter/],
    ['search_step 0', (j) => (j.conv1.activation_quant_params.search_step = 0), { layer: 'conv1', field: 'activation_quant_params.search_step' }, /search_step/],
    ['a percentile of 0.4', (j) => (j.fused.activation_quant_params.max_percentile = 0.4), { layer: 'fused' }, /max_percentile/],
    ['an unknown act_algo', (j) => (j.conv1.activation_quant_params.act_algo = 'kl'), { layer: 'conv1' }, /act_algo/],
    ['batch_num 0', (j) => (j.batch_num = 0), { code: 'CONFIG_INVALID', field: 'batch_num' }, /batch_num/],
    ['nothing enabled', (j) => ['conv1', 'fused'].forEach((l) => (j[l].quant_enable = false)), { code: 'NO_LAYER_TO_QUANTIZE' }, /no layer to quantize/i],
  ];
  it.each(cases)('rejects %s, typed and named, and leaves the graph untouched', async (_, edit, fields, message) => {
    const graph = netWithFusedOutput();
    await createQuantConfig(config, graph);
    editConfig(edit);
    const before = fingerprint(graph);
    const e = await quantizeModel(graph, config, record).catch((x) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toMatchObject(fields);
    expect(e.message).toMatch(message);
    expect(fingerprint(graph)).toBe(before);
  });

  it('reports invalid JSON with its line, and a missing config', async () => {
    const graph = tinyNet();
    fs.writeFileSync(config, '{\n  "version": 1,\n  "batch_num": 1,\n}\n');
    await expect(quantizeModel(graph, config, record)).rejects.toMatchObject({ code: 'CONFIG_INVALID', line: 4 });
    fs.writeFileSync(config, '{ "version": 1, "do_fusion": "yes" }');
    await expect(quantizeModel(graph, config, record)).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: expect.stringMatching(/do_fusion/) });
    await expect(quantizeModel(graph, path.join(dir, 'none.json'), record)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(opCounts(graph).FusedBatchNormV3).toBe(1);
  });

  it('refuses a record path that is the model or the config, and unknown calib outputs', async () => {
    const graph = tinyNet();
    await createQuantConfig(config, graph);
    const model = path.join(dir, 'model.pb');
    fs.writeFileSync(model, 'model bytes');
    graph.meta.sourceFiles = [model];
    for (const target of [model, config]) {
      const e = await quantizeModel(graph, config, target).catch((x) => x);
      expect(e).toBeInstanceOf(FileFormatError);
      expect(e.code).toBe('OUTPUT_WOULD_OVERWRITE_INPUT');
    }
    await expect(quantizeModel(graph, config, record, { calibOutputs: ['nope:0'] })).rejects.toMatchObject({ code: 'NODE_NOT_FOUND', node: 'nope' });
    await expect(quantizeModel(graph, config, record, { calibOutputs: 'bn' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(quantizeModel({} as Graph, config, record)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(opCounts(graph).QuantIfmr).toBeUndefined();
  });
});
