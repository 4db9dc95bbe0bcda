import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../src/errors';
import {
  buildQuantConfig, ConfigDefinition, formatQuantConfig, LayerQuantConfig, parseConfigDefinition, QuantConfig, readConfigDefinition,
} from '../../src/config';
import { ADD, AVGPOOL, BMM, CONV, DEPTHWISE, fakeLayers, FUSED, MATMUL, MAXPOOL } from './fake-layers';
import { errorOf as expectError } from '../helpers/errors';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'config');
const fixture = (name: string) => fsp.readFile(path.join(FIXTURES, name), 'utf8');
const FILE = 'quant.cfg';

const errorOf = (fn: () => unknown) => expectError(fn, ConfigError);

/** The config a .cfg text produces for the fake graph. */
const build = (text: string) => buildQuantConfig(fakeLayers(), { definition: parseConfigDefinition(text, FILE) });
const act = (c: QuantConfig, name: string) => (c[name] as LayerQuantConfig).activation_quant_params as unknown as Record<string, unknown>;
const wts = (c: QuantConfig, name: string) => (c[name] as LayerQuantConfig).weight_quant_params;

describe('parsing the simplified config', () => {
  it('parses the SPEC §4 example', async () => {
    const def = parseConfigDefinition(await fixture('spec-example.cfg'), 'spec-example.cfg');
    expect(def).toMatchObject({
      batchNum: 1,
      activationOffset: true,
      commonConfig: {
        arqQuantize: { channelWise: true },
        ifmrQuantize: { searchRangeStart: 0.7, searchRangeEnd: 1.3, searchStep: 0.01, maxPercentile: 0.999999, minPercentile: 0.999999 },
      },
      skipLayers: [],
      overrideLayerTypes: [],
    });
    expect(def.commonConfig!.ifmrQuantize!.asymmetric).toBeUndefined();
    // the example spells out AMCT's defaults, so it yields the default config
    expect(formatQuantConfig(buildQuantConfig(fakeLayers(), { definition: def }))).toBe(formatQuantConfig(buildQuantConfig(fakeLayers())));
  });

  it('builds the golden config from a .cfg using every field', async () => {
    const def = parseConfigDefinition(await fixture('full.cfg'), 'full.cfg');
    expect(formatQuantConfig(buildQuantConfig(fakeLayers(), { definition: def }))).toBe(await fixture('full.json'));
  });

  const forms: [string, string][] = [
    ['colon and braces', 'batch_num: 2\ncommon_config: { ifmr_quantize: { search_step: 0.02 } }\nskip_layers: "a"\nskip_layers: "b"'],
    ['braces without colon', 'batch_num: 2\ncommon_config { ifmr_quantize { search_step: 0.02 } }\nskip_layers: "a" skip_layers: "b"'],
    ['spaces around colons', 'batch_num : 2\ncommon_config : {\n  ifmr_quantize : {\n    search_step : 0.02\n  }\n}\nskip_layers : ["a", "b"]'],
    ['angle brackets', 'batch_num: 2 common_config < ifmr_quantize < search_step: 0.02 > > skip_layers: [\'a\', "b"]'],
    ['one line with separators', 'batch_num: 2; common_config { ifmr_quantize { search_step: 0.02, }; }, skip_layers: "a"; skip_layers: "b"'],
    ['comments and tabs', '# header comment\n\tbatch_num:\t2  # trailing\n# between\ncommon_config {   # open\n ifmr_quantize { search_step: 0.02 }\n}\nskip_layers: "a"  # a\nskip_layers: "b"\n'],
  ];

  it.each(forms)('accepts %s', (_name, text) => {
    const def = parseConfigDefinition(text, FILE);
    expect(def.batchNum).toBe(2);
    expect(def.commonConfig).toEqual({ ifmrQuantize: { searchStep: 0.02 } });
    expect(def.skipLayers).toEqual(['a', 'b']);
  });

  it('reads a .cfg file and reports a missing one', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'amct-cfg-'));
    const file = path.join(dir, 'quant.cfg');
    await fsp.writeFile(file, 'batch_num: 3\n');
    expect((await readConfigDefinition(file)).batchNum).toBe(3);
    await expect(readConfigDefinition(path.join(dir, 'none.cfg'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await fsp.rm(dir, { recursive: true });
  });
});

describe('.cfg errors carry the line', () => {
  it.each([
    ['an unclosed message', 'batch_num: 1\ncommon_config {\n  ifmr_quantize { search_step: 0.01 }\n', 'CONFIG_PARSE_FAILED', 4, "expected '}'"],
    ['an unknown field', 'batch_num: 1\n\nbatch_size: 4\n', 'CONFIG_PARSE_FAILED', 3, "unknown field 'batch_size' in AMCTConfig"],
    ['a string for a number', 'batch_num: 1\ncommon_config {\n  ifmr_quantize { search_step: "big" }\n}', 'CONFIG_PARSE_FAILED', 3, 'float value expected'],
    ['a negative unsigned value', '# c\nactivation_offset: true\nbatch_num: -1\n', 'CONFIG_PARSE_FAILED', 3, 'unsigned integer value expected'],
    ['a repeated singular field', 'batch_num: 1\nbatch_num: 2\n', 'CONFIG_PARSE_FAILED', 2, 'batch_num: multiple values'],
    ['a scalar without colon', 'skip_layers "a"\n', 'CONFIG_PARSE_FAILED', 1, "expected ':'"],
    ['batch_num 0', 'activation_offset: true\nbatch_num: 0\n', 'CONFIG_INVALID', 2, 'batch_num must be an integer from 1 to 1000000, got 0'],
    ['an absurd batch_num', 'activation_offset: true\nbatch_num: 4294967295\n', 'CONFIG_INVALID', 2, 'batch_num must be an integer from 1 to 1000000, got 4294967295'],
    ['a search range ending at 9e18', 'common_config { ifmr_quantize {\n search_range_end: 9e18 } }', 'CONFIG_INVALID', 2,
      'search_range_end in common_config.ifmr_quantize gives 9000000'],
    ['a search step of 1e-320', 'common_config { ifmr_quantize {\n search_step: 1e-320 } }', 'CONFIG_INVALID', 2,
      'search_step in common_config.ifmr_quantize gives infinitely many IFMR candidates'],
    ['a percentile out of range', 'common_config {\n  ifmr_quantize {\n    search_step: 0.01\n    max_percentile: 1.5\n  }\n}', 'CONFIG_INVALID', 4,
      'max_percentile in common_config.ifmr_quantize must be a number in (0.5, 1.0], got 1.5'],
    ['min_percentile 0.5', 'common_config { ifmr_quantize {\n min_percentile: 0.5 } }', 'CONFIG_INVALID', 2, 'min_percentile in common_config.ifmr_quantize'],
    ['an empty search range', 'common_config { ifmr_quantize {\n search_range_start: 1.3\n search_range_end: 0.7 } }', 'CONFIG_INVALID', 3,
      'search_range_end in common_config.ifmr_quantize must be greater than the search range start 1.3, got 0.7'],
    ['a zero range start', 'common_config { ifmr_quantize {\n search_range_start: 0 } }', 'CONFIG_INVALID', 2, 'search_range_start'],
    ['a step wider than the range', 'override_layer_types {\n  layer_type: "Conv2D"\n  calibration_config { ifmr_quantize {\n search_step: 0.7 } }\n}', 'CONFIG_INVALID', 4,
      'search_step in override_layer_types[0].calibration_config.ifmr_quantize must be at most search range end - start = 0.6, got 0.7'],
    ['a bad bin count', 'common_config {\n  hfmg_quantize { num_of_bins: 1000 }\n}', 'CONFIG_INVALID', 2, 'num_of_bins in common_config.hfmg_quantize must be one of 1024, 2048, 4096, 8192, got 1000'],
    ['both algorithms', 'common_config {\n  ifmr_quantize { search_step: 0.01 }\n  hfmg_quantize { num_of_bins: 1024 }\n}', 'CONFIG_INVALID', 3, 'sets both ifmr_quantize and hfmg_quantize'],
    ['an unknown skip type', 'skip_layer_types: "Conv2D"\nskip_layer_types: "Convolution"\n', 'CONFIG_INVALID', 2, 'unknown layer type "Convolution" in skip_layer_types'],
    ['an unknown override type', 'override_layer_types {\n  layer_type: "Relu"\n  calibration_config {}\n}', 'CONFIG_INVALID', 2, 'unknown layer type "Relu" in override_layer_types'],
    ['a tensor-only override type', 'override_layer_types {\n  layer_type: "MaxPool"\n  calibration_config {}\n}', 'CONFIG_INVALID', 2, 'MaxPool in override_layer_types takes tensor quantization only'],
    ['an override without type', 'batch_num: 1\noverride_layer_types {\n  calibration_config {}\n}', 'CONFIG_INVALID', 2, 'override_layer_types entry #1 has no layer_type'],
    ['an override without config', 'override_layer_configs {\n  layer_name: "x"\n}', 'CONFIG_INVALID', 1, 'override_layer_configs entry x has no calibration_config'],
    ['a type overridden twice', 'override_layer_types { layer_type: "MatMul" calibration_config {} }\noverride_layer_types { layer_type: "MatMul" calibration_config {} }',
      'CONFIG_INVALID', 2, 'layer type MatMul in override_layer_types is listed twice (first at line 1)'],
    ['a layer overridden twice', 'override_layer_configs { layer_name: "x" calibration_config {} }\n\noverride_layer_configs {\n layer_name: "x" calibration_config {} }',
      'CONFIG_INVALID', 4, 'layer x in override_layer_configs is listed twice (first at line 1)'],
    ['a tensor input without index', 'tensor_quantize {\n  layer_name: "block/add"\n}', 'CONFIG_INVALID', 1, 'tensor_quantize entry block/add has no input_index'],
  ])('rejects %s', (_name, text, code, line, message) => {
    const e = errorOf(() => parseConfigDefinition(text, FILE));
    expect(e.code).toBe(code);
    expect(e.line).toBe(line);
    expect(e.file).toBe(FILE);
    expect(e.message).toContain(message);
    expect(e.message).toContain(`${FILE}:${line}`);
  });

  it.each([
    ['an unknown skip layer', 'batch_num: 1\nskip_layers: ["MobilenetV2/Conv/Conv2D",\n  "nope"]', 'LAYER_NOT_FOUND', 3, 'Layer nope does not exist in the graph'],
    ['an unquantizable skip layer', 'skip_layers: "dyn/Conv2D"', 'LAYER_NOT_QUANTIZABLE', 1, 'Layer dyn/Conv2D does not support quantization: its filter'],
    ['an unknown override layer', 'override_layer_configs {\n  layer_name: "ghost"\n  calibration_config {}\n}', 'LAYER_NOT_FOUND', 2, 'Layer ghost does not exist in the graph'],
    ['an unknown layer in <> form', 'override_layer_configs <\n  layer_name: "MobilenetV2/Logits/MatMul"\n  calibration_config {} >\noverride_layer_configs <\n  layer_name: "ghost"\n  calibration_config < > >',
      'LAYER_NOT_FOUND', 5, 'Layer ghost does not exist in the graph'],
    ['a tensor-only override layer', 'override_layer_configs {\n  layer_name: "pool/MaxPool"\n  calibration_config {}\n}', 'LAYER_NOT_QUANTIZABLE', 2, 'Layer pool/MaxPool does not support quantization as a layer'],
    ['tensor quantization of a conv', '\ntensor_quantize { layer_name: "MobilenetV2/Conv/Conv2D" input_index: 0 }', 'LAYER_NOT_QUANTIZABLE', 2, 'does not support tensor quantization'],
    ['a bad input index', 'tensor_quantize {\n  layer_name: "pool/MaxPool"\n  input_index: 1\n}', 'CONFIG_INVALID', 3, 'input_index 1 of layer pool/MaxPool is not one of its data inputs (0)'],
    ['an unknown fusion layer', 'do_fusion: true\nskip_fusion_layers: "ghost"', 'LAYER_NOT_FOUND', 2, 'Layer ghost does not exist in the graph'],
    ['channel_wise on a MatMul type', 'override_layer_types {\n  layer_type: "MatMul"\n  calibration_config { arq_quantize {\n channel_wise: true } }\n}', 'CONFIG_INVALID', 4,
      'channel_wise can be true only for the conv family'],
    ['asymmetric on two activations', 'override_layer_configs {\n  layer_name: "attn/BatchMatMulV2"\n  calibration_config { ifmr_quantize {\n asymmetric: true } }\n}', 'CONFIG_INVALID', 4,
      'quantized symmetric'],
    ['skipping everything', 'skip_layer_types: ["Conv2D", "DepthwiseConv2dNative", "MatMul", "AvgPool", "BatchMatMulV2"]', 'NO_LAYER_TO_QUANTIZE', undefined, 'no layer to quantize'],
  ])('rejects %s against the graph', (_name, text, code, line, message) => {
    const e = errorOf(() => build(text));
    expect(e.code).toBe(code);
    expect(e.line).toBe(line);
    expect(e.message).toContain(message);
  });
});

describe('precedence: override_layer_configs > override_layer_types > common_config > activation_offset', () => {
  const text = `
    activation_offset: false
    common_config { ifmr_quantize { search_step: 0.02 } arq_quantize { channel_wise: true } }
    override_layer_types { layer_type: "Conv2D" calibration_config { ifmr_quantize { search_step: 0.03 asymmetric: true } } }
    override_layer_types { layer_type: "_FusedConv2D" calibration_config { ifmr_quantize { search_step: 0.04 } } }
    override_layer_configs { layer_name: "${CONV}" calibration_config { hfmg_quantize { num_of_bins: 8192 } arq_quantize { channel_wise: false } } }
  `;
  const config = build(text);

  it('gives a named layer its own settings', () => {
    expect(act(config, CONV)).toEqual({ num_bits: 8, act_algo: 'hfmg', num_of_bins: 8192, asymmetric: false });
    expect(wts(config, CONV)!.channel_wise).toBe(false);
  });

  it('prefers the fused op type over its plain type', () => {
    expect(act(config, FUSED)).toMatchObject({ search_step: 0.04, asymmetric: false });
  });

  it('applies common_config where nothing overrides, dropping channel_wise where not allowed', () => {
    expect(act(config, DEPTHWISE)).toMatchObject({ act_algo: 'ifmr', search_step: 0.02, search_range: [0.7, 1.3], asymmetric: false });
    expect(wts(config, DEPTHWISE)!.channel_wise).toBe(true);
    expect(wts(config, MATMUL)!.channel_wise).toBe(false);
  });

  it('lets a plain type override match fused ops, and asymmetric beat activation_offset', () => {
    const c = build('activation_offset: false\noverride_layer_types { layer_type: "Conv2D" calibration_config { ifmr_quantize { asymmetric: true } } }');
    expect(act(c, CONV).asymmetric).toBe(true);
    expect(act(c, FUSED).asymmetric).toBe(true);
    expect(act(c, MATMUL).asymmetric).toBe(false);
  });

  it('checks a definition built in code, without lines', () => {
    const def: ConfigDefinition = { skipLayers: ['ghost'], skipLayerTypes: [], skipFusionLayers: [], overrideLayerTypes: [], overrideLayerConfigs: [], tensorQuantize: [] };
    const e = errorOf(() => buildQuantConfig(fakeLayers(), { definition: def }));
    expect(e).toMatchObject({ code: 'LAYER_NOT_FOUND', layer: 'ghost', line: undefined });
    expect(errorOf(() => buildQuantConfig(fakeLayers(), { definition: { ...def, skipLayers: [], batchNum: 0 } })).code).toBe('CONFIG_INVALID');
  });

  it('replaces skipLayers, batchNum and activationOffset', () => {
    const def: ConfigDefinition = parseConfigDefinition('skip_layers: "MobilenetV2/Conv/Conv2D"', FILE);
    const c = buildQuantConfig(fakeLayers(), { definition: def, skipLayers: [MATMUL], batchNum: 7, activationOffset: false });
    expect(c.batch_num).toBe(1);
    expect(c.activation_offset).toBe(true);
    expect((c[CONV] as LayerQuantConfig).quant_enable).toBe(false);
    expect((c[MATMUL] as LayerQuantConfig).quant_enable).toBe(true);
  });
});

describe('skip_layer_types and tensor_quantize', () => {
  it('skips layers of a type, fused ops included', () => {
    const c = build('skip_layer_types: "Conv2D"');
    expect((c[CONV] as LayerQuantConfig).quant_enable).toBe(false);
    expect((c[FUSED] as LayerQuantConfig).quant_enable).toBe(false);
    expect((c[DEPTHWISE] as LayerQuantConfig).quant_enable).toBe(true);
    expect((c[AVGPOOL] as LayerQuantConfig).quant_enable).toBe(true);
  });

  it('skips only the fused op when the cfg names the fused type', () => {
    const c = build('skip_layer_types: "_FusedConv2D"');
    expect((c[CONV] as LayerQuantConfig).quant_enable).toBe(true);
    expect((c[FUSED] as LayerQuantConfig).quant_enable).toBe(false);
  });

  it('writes tensor_quantize entries, dropping those of skipped types', () => {
    const text = `tensor_quantize { layer_name: "${ADD}" input_index: 0 }\ntensor_quantize { layer_name: "${MAXPOOL}" input_index: 0 }`;
    expect(build(text).tensor_quantize.map((t) => `${t.layer_name}:${t.input_index}`)).toEqual([`${ADD}:0`, `${MAXPOOL}:0`]);
    expect(build(`${text}\nskip_layer_types: "MaxPool"`).tensor_quantize.map((t) => t.layer_name)).toEqual([ADD]);
    expect(build(`${text}\nskip_layers: "${ADD}"`).tensor_quantize.map((t) => t.layer_name)).toEqual([MAXPOOL]);
  });

  it('keeps BatchMatMul of two activations symmetric whatever common_config says', () => {
    expect(act(build('common_config { ifmr_quantize { asymmetric: true } }'), BMM).asymmetric).toBe(false);
  });
});
