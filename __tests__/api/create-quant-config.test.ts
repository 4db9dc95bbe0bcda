/**
 * createQuantConfig: the config it writes for a graph (prepared on a clone, so the user's
 * graph is untouched), the layer list it returns, the simplified-config path, and the
 * files it refuses to write.
 */
import * as fs from 'fs';
import * as path from 'path';
import { attrTensor, ConfigError, createQuantConfig, FileFormatError, Graph, GraphError, toFloat32 } from '../../src';
import { formatQuantConfig, buildQuantConfig } from '../../src/config';
import { findLayers, prepareGraph } from '../../src/passes';
import { mixedNet, tempDir, tinyNet } from './calibration-fixtures';

let dir: string;
let config: string;
beforeEach(async () => {
  dir = await tempDir('amct-config-');
  config = path.join(dir, 'config.json');
});
afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

const fingerprint = (g: Graph) => g.nodes().map((n) => `${n.name}:${n.op}(${n.inputs.join(',')})`).join('\n');
const readJson = (file = config) => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('createQuantConfig', () => {
  it('writes the config of the prepared graph and leaves the user graph as loaded', async () => {
    const graph = tinyNet();
    const before = fingerprint(graph);
    const weights = Float32Array.from(toFloat32(attrTensor(graph.getNode('conv2/weights'))));
    const result = await createQuantConfig(config, graph, { batchNum: 4 });
    expect(fingerprint(graph)).toBe(before); // the BN fold happened on a clone...
    expect(toFloat32(attrTensor(graph.getNode('conv2/weights')))).toEqual(weights); // ...which shares no written data
    const prepared = graph.clone();
    prepareGraph(prepared);
    expect(fs.readFileSync(config, 'utf8')).toBe(formatQuantConfig(buildQuantConfig(findLayers(prepared), { batchNum: 4 })));
    expect(result.configFile).toBe(config);
    const json = readJson();
    expect(Object.keys(json)).toEqual(['version', 'batch_num', 'activation_offset', 'joint_quant', 'do_fusion', 'skip_fusion_layers', 'tensor_quantize', 'conv1', 'conv2']);
    expect(json.batch_num).toBe(4);
    expect(json.conv2.activation_quant_params).toMatchObject({ act_algo: 'ifmr', asymmetric: true });
  });

  it('returns every layer candidate with why it is not quantized', async () => {
    const result = await createQuantConfig(config, mixedNet(), { skipLayers: ['conv2'], activationOffset: false });
    expect(result.layers).toEqual([
      { name: 'conv1', op: 'Conv2D', quantizable: true, enabled: true },
      { name: 'conv2', op: 'Conv2D', quantizable: true, enabled: false, reason: 'skipped by the config' },
      { name: 'conv3', op: 'Conv2D', quantizable: false, enabled: false, reason: expect.stringMatching(/Placeholder wph/) },
      { name: 'pool', op: 'MaxPool', quantizable: true, enabled: false, reason: expect.stringMatching(/tensor quantization/) },
    ]);
    const json = readJson();
    expect(json.conv2.quant_enable).toBe(false);
    expect(json.conv1.activation_quant_params.asymmetric).toBe(false);
    expect(json.conv3).toBeUndefined();
  });

  it('takes a simplified config instead of the options', async () => {
    const cfg = path.join(dir, 'quant.cfg');
    fs.writeFileSync(cfg, [
      'batch_num: 3',
      'do_fusion: false',
      'skip_layers: "conv1"',
      'tensor_quantize { layer_name: "pool" input_index: 0 }',
      'override_layer_configs { layer_name: "conv2" calibration_config { hfmg_quantize { num_of_bins: 1024 } } }',
    ].join('\n'));
    const result = await createQuantConfig(config, mixedNet(), { batchNum: 9, configDefinition: cfg });
    const json = readJson();
    expect([json.batch_num, json.do_fusion, json.conv1.quant_enable]).toEqual([3, false, false]);
    expect(json.conv2.activation_quant_params).toMatchObject({ act_algo: 'hfmg', num_of_bins: 1024 });
    expect(json.tensor_quantize).toEqual([expect.objectContaining({ layer_name: 'pool', input_index: 0 })]);
    expect(result.layers.find((l) => l.name === 'pool')).toMatchObject({ enabled: true });
  });

  it('rejects unknown skip layers, bad options and .cfg errors, typed', async () => {
    const graph = mixedNet();
    await expect(createQuantConfig(config, graph, { skipLayers: ['ghost'] })).rejects.toMatchObject({ code: 'LAYER_NOT_FOUND', layer: 'ghost' });
    await expect(createQuantConfig(config, graph, { skipLayers: ['conv3'] })).rejects.toMatchObject({ code: 'LAYER_NOT_QUANTIZABLE', layer: 'conv3' });
    await expect(createQuantConfig(config, graph, { batchNum: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: 'batch_num' });
    await expect(createQuantConfig(config, graph, { activationOffset: 'yes' as never })).rejects.toBeInstanceOf(ConfigError);
    await expect(createQuantConfig(config, graph, { skipLayers: ['conv1', 'conv2'] })).rejects.toMatchObject({ code: 'NO_LAYER_TO_QUANTIZE' });
    const cfg = path.join(dir, 'bad.cfg');
    fs.writeFileSync(cfg, 'batch_num: 1\nskip_layers: "ghost"\n');
    await expect(createQuantConfig(config, graph, { configDefinition: cfg })).rejects.toMatchObject({ layer: 'ghost', line: 2 });
    await expect(createQuantConfig(config, graph, { configDefinition: path.join(dir, 'none.cfg') })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(fs.existsSync(config)).toBe(false);
  });

  it('refuses to overwrite the model or the .cfg, and reports an unwritable path', async () => {
    const graph = tinyNet();
    const model = path.join(dir, 'model.pb');
    const cfg = path.join(dir, 'quant.cfg');
    fs.writeFileSync(model, 'model bytes');
    fs.writeFileSync(cfg, 'batch_num: 1');
    graph.meta.sourceFiles = [model];
    const e = await createQuantConfig(model, graph).catch((x) => x);
    expect(e).toBeInstanceOf(FileFormatError);
    expect(e.code).toBe('OUTPUT_WOULD_OVERWRITE_INPUT');
    await expect(createQuantConfig(cfg, graph, { configDefinition: cfg })).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT' });
    expect(fs.readFileSync(model, 'utf8')).toBe('model bytes');
    await expect(createQuantConfig(path.join(dir, 'no', 'c.json'), graph)).rejects.toMatchObject({ code: 'FILE_WRITE_FAILED' });
  });

  it('refuses a graph that went through quantizeModel', async () => {
    const graph = tinyNet();
    graph.addNode({ name: 'x/QuantIfmr', op: 'QuantIfmr', inputs: ['input'] });
    const e = await createQuantConfig(config, graph).catch((x) => x);
    expect(e).toBeInstanceOf(GraphError);
    expect(e).toMatchObject({ code: 'MODEL_ALREADY_QUANTIZED', node: 'x/QuantIfmr' });
  });
});
