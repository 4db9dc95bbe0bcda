import { promises as fsp } from 'fs';
import * as path from 'path';
import { ConfigError } from '../../src/errors';
import { buildQuantConfig, formatQuantConfig, LayerQuantConfig, parseQuantConfig } from '../../src/config';
import { ADD, AVGPOOL, BMM, CONV, DEPTHWISE, DYNAMIC, fakeLayers, FUSED, MATMUL, MAXPOOL } from './fake-layers';
import { errorOf as expectError } from '../helpers/errors';

const fixture = (name: string) => fsp.readFile(path.join(__dirname, '..', 'fixtures', 'config', name), 'utf8');

const errorOf = (fn: () => unknown) => expectError(fn, ConfigError);

describe('buildQuantConfig from options', () => {
  it('writes the golden config', async () => {
    const config = buildQuantConfig(fakeLayers(), { skipLayers: [MATMUL], batchNum: 2 });
    expect(formatQuantConfig(config)).toBe(await fixture('default.json'));
  });

  it('puts the header keys first in SPEC order, then quantizable layers sorted by name', () => {
    const keys = Object.keys(buildQuantConfig(fakeLayers()));
    expect(keys.slice(0, 7)).toEqual(['version', 'batch_num', 'activation_offset', 'joint_quant', 'do_fusion', 'skip_fusion_layers', 'tensor_quantize']);
    expect(keys.slice(7)).toEqual([CONV, AVGPOOL, MATMUL, DEPTHWISE, BMM, FUSED]);
    for (const left of [ADD, MAXPOOL, DYNAMIC]) expect(keys).not.toContain(left);
  });

  it('uses AMCT defaults: channel_wise on the conv family only, no weights for AvgPool and two-activation BatchMatMul', () => {
    const config = buildQuantConfig(fakeLayers());
    const layer = (name: string) => config[name] as LayerQuantConfig;
    expect(config.batch_num).toBe(1);
    expect(config.activation_offset).toBe(true);
    expect(config.tensor_quantize).toEqual([]);
    expect(layer(CONV).weight_quant_params).toEqual({ num_bits: 8, wts_algo: 'arq_quantize', channel_wise: true });
    expect(layer(FUSED).weight_quant_params!.channel_wise).toBe(true);
    expect(layer(MATMUL).weight_quant_params!.channel_wise).toBe(false);
    expect(layer(AVGPOOL).weight_quant_params).toBeUndefined();
    expect(layer(BMM).weight_quant_params).toBeUndefined();
    expect(layer(BMM).activation_quant_params.asymmetric).toBe(false);
    expect(layer(CONV).activation_quant_params).toEqual({
      num_bits: 8, act_algo: 'ifmr', max_percentile: 0.999999, min_percentile: 0.999999, search_range: [0.7, 1.3], search_step: 0.01, asymmetric: true,
    });
  });

  it('follows activation_offset into asymmetric', () => {
    const config = buildQuantConfig(fakeLayers(), { activationOffset: false });
    expect(config.activation_offset).toBe(false);
    expect((config[CONV] as LayerQuantConfig).activation_quant_params.asymmetric).toBe(false);
  });

  it('writes a config that loads back to the same settings', () => {
    const config = buildQuantConfig(fakeLayers(), { skipLayers: [MATMUL] });
    const loaded = parseQuantConfig(formatQuantConfig(config), fakeLayers());
    expect(loaded.config).toEqual(config);
    expect(loaded.resolved.get(MATMUL)!.quantEnable).toBe(false);
    expect(loaded.resolved.get(CONV)).toEqual({
      name: CONV, op: 'Conv2D', kind: 'conv2d', quantEnable: true,
      activation: { numBits: 8, actAlgo: 'ifmr', asymmetric: true, ifmr: { maxPercentile: 0.999999, minPercentile: 0.999999, searchRange: [0.7, 1.3], searchStep: 0.01 } },
      weight: { numBits: 8, wtsAlgo: 'arq_quantize', channelWise: true },
    });
  });

  it('orders integer-like layer names like the others', () => {
    const layers = fakeLayers().concat({ ...fakeLayers()[1], name: '10' }, { ...fakeLayers()[1], name: '2' });
    const text = formatQuantConfig(buildQuantConfig(layers));
    expect(text.indexOf('"10"')).toBeGreaterThan(text.indexOf('"tensor_quantize"'));
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2"'));
  });
});

describe('buildQuantConfig errors', () => {
  it('rejects an unknown skip layer', () => {
    const e = errorOf(() => buildQuantConfig(fakeLayers(), { skipLayers: ['nope'] }));
    expect(e.code).toBe('LAYER_NOT_FOUND');
    expect(e.layer).toBe('nope');
    expect(e.message).toMatch(/^Layer nope does not exist in the graph/);
  });

  it('rejects a skip layer that cannot be quantized, with the reason', () => {
    const e = errorOf(() => buildQuantConfig(fakeLayers(), { skipLayers: [DYNAMIC] }));
    expect(e.code).toBe('LAYER_NOT_QUANTIZABLE');
    expect(e.message).toContain(`Layer ${DYNAMIC} does not support quantization: its filter comes from a Placeholder`);
  });

  it('rejects skipping every layer', () => {
    const all = [CONV, AVGPOOL, MATMUL, DEPTHWISE, BMM, FUSED];
    const e = errorOf(() => buildQuantConfig(fakeLayers(), { skipLayers: all }));
    expect(e.code).toBe('NO_LAYER_TO_QUANTIZE');
    expect(e.message).toContain('no layer to quantize');
  });

  it('rejects a graph without quantizable layers, saying why', () => {
    const e = errorOf(() => buildQuantConfig(fakeLayers().filter((c) => !c.quantizable || c.kind === 'tensor')));
    expect(e.code).toBe('NO_LAYER_TO_QUANTIZE');
    expect(e.hint).toContain(`${DYNAMIC}: its filter comes from a Placeholder`);
  });

  it.each([0, -1, 1.5])('rejects batchNum %p', (batchNum) => {
    const e = errorOf(() => buildQuantConfig(fakeLayers(), { batchNum }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.field).toBe('batch_num');
  });
});
