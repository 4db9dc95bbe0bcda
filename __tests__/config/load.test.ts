import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../src/errors';
import { buildQuantConfig, formatQuantConfig, loadQuantConfig, parseQuantConfig, QUANT_CONFIG_SCHEMA_PATH } from '../../src/config';
import { ADD, AVGPOOL, BMM, CONV, DEPTHWISE, DYNAMIC, fakeLayers, MATMUL, MAXPOOL } from './fake-layers';
import { errorOf as expectError } from '../helpers/errors';

const FILE = 'config.json';

const errorOf = (fn: () => unknown) => expectError(fn, ConfigError);

const load = (value: unknown) => parseQuantConfig(JSON.stringify(value, null, 4), fakeLayers(), FILE);

/** A valid config (as createQuantConfig writes it) with `edit` applied. */
function configWith(edit: (c: Record<string, any>) => void): Record<string, any> {
  const c = JSON.parse(formatQuantConfig(buildQuantConfig(fakeLayers()))) as Record<string, any>;
  edit(c);
  return c;
}

describe('loading a valid config', () => {
  it('resolves every listed layer and the header', () => {
    const loaded = load(configWith((c) => {
      c.batch_num = 3;
      c[MATMUL].quant_enable = false;
      c[DEPTHWISE].activation_quant_params = { num_bits: 8, act_algo: 'hfmg', num_of_bins: 2048 };
    }));
    expect(loaded).toMatchObject({ file: FILE, batchNum: 3, activationOffset: true, jointQuant: false, doFusion: true, skipFusionLayers: [] });
    expect([...loaded.resolved.keys()].sort()).toEqual([AVGPOOL, BMM, CONV, MATMUL, DEPTHWISE, 'model/conv_fused'].sort());
    expect(loaded.resolved.get(MATMUL)).toMatchObject({ quantEnable: false, weight: { channelWise: false } });
    expect(loaded.resolved.get(DEPTHWISE)!.activation).toEqual({ numBits: 8, actAlgo: 'hfmg', numOfBins: 2048, asymmetric: true });
    expect(loaded.resolved.get(AVGPOOL)!.weight).toBeUndefined();
  });

  it('fills left-out fields with defaults; asymmetric overrides activation_offset', () => {
    const loaded = load({
      version: 1,
      activation_offset: false,
      [CONV]: {},
      [MATMUL]: { activation_quant_params: { asymmetric: true, search_step: 0.05 } },
    });
    expect(loaded.batchNum).toBe(1);
    expect(loaded.resolved.get(CONV)).toEqual({
      name: CONV, op: 'Conv2D', kind: 'conv2d', quantEnable: true,
      activation: { numBits: 8, actAlgo: 'ifmr', asymmetric: false, ifmr: { maxPercentile: 0.999999, minPercentile: 0.999999, searchRange: [0.7, 1.3], searchStep: 0.01 } },
      weight: { numBits: 8, wtsAlgo: 'arq_quantize', channelWise: true },
    });
    expect(loaded.resolved.get(MATMUL)!.activation).toMatchObject({ asymmetric: true, ifmr: { searchStep: 0.05 } });
  });

  it('resolves tensor_quantize entries with their record keys', () => {
    const loaded = load(configWith((c) => {
      c.tensor_quantize = [
        { layer_name: ADD, input_index: 1, activation_quant_params: { act_algo: 'hfmg', num_of_bins: 1024, asymmetric: false } },
        { layer_name: MAXPOOL, input_index: 0 },
      ];
    }));
    expect(loaded.tensorQuantize).toEqual([
      { layerName: ADD, inputIndex: 1, op: 'AddV2', recordKey: `${ADD}:1`, activation: { numBits: 8, actAlgo: 'hfmg', numOfBins: 1024, asymmetric: false } },
      expect.objectContaining({ layerName: MAXPOOL, recordKey: `${MAXPOOL}:0`, activation: expect.objectContaining({ actAlgo: 'ifmr' }) }),
    ]);
  });

  it('reads the file, and reports a missing one', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'amct-config-'));
    const file = path.join(dir, 'config.json');
    await fsp.writeFile(file, formatQuantConfig(buildQuantConfig(fakeLayers())));
    expect((await loadQuantConfig(file, fakeLayers())).resolved.size).toBe(6);
    await expect(loadQuantConfig(path.join(dir, 'none.json'), fakeLayers())).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await fsp.rm(dir, { recursive: true });
  });

  it('ships the JSON Schema in the package folder "schema"', async () => {
    const pkg = JSON.parse(await fsp.readFile(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('schema');
    expect(path.relative(path.join(__dirname, '..', '..'), QUANT_CONFIG_SCHEMA_PATH)).toBe(path.join('schema', 'quant-config.schema.json'));
    await expect(fsp.access(QUANT_CONFIG_SCHEMA_PATH)).resolves.toBeUndefined();
  });
});

describe('JSON text problems', () => {
  it('rejects a duplicate layer key, naming both lines', () => {
    const text = `{\n    "version": 1,\n    "${CONV}": {},\n    "${MATMUL}": {},\n    "${CONV}": {}\n}`;
    const e = errorOf(() => parseQuantConfig(text, fakeLayers(), FILE));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.line).toBe(5);
    expect(e.message).toContain(`duplicate key "${CONV}" (first at line 3)`);
    expect(e.message).toContain(`${FILE}:5`);
  });

  it('rejects a duplicate field inside a layer, naming the layer', () => {
    const text = `{\n "version": 1,\n "${CONV}": {\n  "quant_enable": true,\n  "quant_enable": false\n }\n}`;
    const e = errorOf(() => parseQuantConfig(text, fakeLayers(), FILE));
    expect(e.line).toBe(5);
    expect(e.layer).toBe(CONV);
    expect(e.message).toContain('duplicate key "quant_enable" (first at line 4)');
  });

  it.each([
    ['a missing comma', '{\n "version": 1\n "batch_num": 1\n}', 3, "expected ',' or '}'"],
    ['a trailing comma', '{\n "version": 1,\n}', 3, 'expected a "quoted" key'],
    ['a truncated file', '{\n "version": 1,\n "a": {', 3, 'unexpected end'],
    ['text after the object', '{"version": 1}\n}', 2, 'after the end of the JSON value'],
    ['a single-quoted key', "{\n 'version': 1 }", 2, 'expected a "quoted" key'],
  ])('rejects %s with its line', (_name, text, line, message) => {
    const e = errorOf(() => parseQuantConfig(text, fakeLayers(), FILE));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.line).toBe(line);
    expect(e.message).toContain(message);
  });
});

describe('config rules: each error names the layer and the field', () => {
  const cases: [string, (c: Record<string, any>) => void, string | undefined, string | undefined, string][] = [
    ['version 2', (c) => (c.version = 2), undefined, 'version', 'version must be 1, got 2'],
    ['no version', (c) => delete c.version, undefined, undefined, 'lacks the field version'],
    ['batch_num 0', (c) => (c.batch_num = 0), undefined, 'batch_num', 'batch_num must be an integer from 1 to 1000000, got 0'],
    ['batch_num 1.5', (c) => (c.batch_num = 1.5), undefined, 'batch_num', 'batch_num must be an integer from 1 to 1000000, got 1.5'],
    ['batch_num 1e308', (c) => (c.batch_num = 1e308), undefined, 'batch_num', 'batch_num must be an integer from 1 to 1000000, got 1e+308'],
    ['a search range ending at 9e18', (c) => (c[CONV].activation_quant_params.search_range = [0.7, 9e18]), CONV, 'activation_quant_params.search_range',
      'IFMR candidates ((end - start) / step + 1 in float32, with search_range [0.7, 9000000000000000000] and search_step 0.01); the limit is 10000'],
    ['a search step of 1e-320', (c) => (c[CONV].activation_quant_params.search_step = 1e-320), CONV, 'activation_quant_params.search_step',
      'gives infinitely many IFMR candidates'],
    ['activation_offset "yes"', (c) => (c.activation_offset = 'yes'), undefined, 'activation_offset', 'activation_offset must be true or false, got "yes"'],
    ['max_percentile 0.5', (c) => (c[CONV].activation_quant_params.max_percentile = 0.5), CONV, 'activation_quant_params.max_percentile',
      `activation_quant_params.max_percentile of layer ${CONV} must be a number in (0.5, 1.0], got 0.5`],
    ['min_percentile 1.01', (c) => (c[CONV].activation_quant_params.min_percentile = 1.01), CONV, 'activation_quant_params.min_percentile', 'must be a number in (0.5, 1.0], got 1.01'],
    ['search_range reversed', (c) => (c[CONV].activation_quant_params.search_range = [1.3, 0.7]), CONV, 'activation_quant_params.search_range',
      'search_range of layer MobilenetV2/Conv/Conv2D must be two numbers [start, end] with 0 < start < end, got [1.3,0.7]'],
    ['search_range from 0', (c) => (c[CONV].activation_quant_params.search_range = [0, 1]), CONV, 'activation_quant_params.search_range', 'got [0,1]'],
    ['search_range of one number', (c) => (c[CONV].activation_quant_params.search_range = [0.7]), CONV, 'activation_quant_params.search_range', 'two numbers'],
    ['search_step 0', (c) => (c[CONV].activation_quant_params.search_step = 0), CONV, 'activation_quant_params.search_step', 'got 0'],
    ['search_step wider than the range', (c) => (c[CONV].activation_quant_params.search_step = 0.7), CONV, 'activation_quant_params.search_step',
      'must be at most search range end - start = 0.6, got 0.7'],
    ['act_algo kl', (c) => (c[CONV].activation_quant_params.act_algo = 'kl'), CONV, 'activation_quant_params.act_algo', 'must be "ifmr" or "hfmg", got "kl"'],
    ['IFMR keys with hfmg', (c) => (c[CONV].activation_quant_params.act_algo = 'hfmg'), CONV, 'activation_quant_params.max_percentile', 'is not allowed with act_algo "hfmg"'],
    ['a bad bin count', (c) => (c[CONV].activation_quant_params = { act_algo: 'hfmg', num_of_bins: 1000 }), CONV, 'activation_quant_params.num_of_bins',
      'must be one of 1024, 2048, 4096, 8192, got 1000'],
    ['num_of_bins with ifmr', (c) => (c[CONV].activation_quant_params.num_of_bins = 4096), CONV, 'activation_quant_params.num_of_bins', 'applies only to act_algo "hfmg"'],
    ['num_bits 4', (c) => (c[CONV].weight_quant_params.num_bits = 4), CONV, 'weight_quant_params.num_bits', 'must be 8, got 4'],
    ['wts_algo', (c) => (c[CONV].weight_quant_params.wts_algo = 'minmax'), CONV, 'weight_quant_params.wts_algo', 'must be "arq_quantize"'],
    ['an unknown field', (c) => (c[CONV].activation_quant_params.search_stp = 0.1), CONV, 'activation_quant_params.search_stp',
      `unknown field activation_quant_params.search_stp in layer ${CONV}`],
    ['quant_enable "yes"', (c) => (c[CONV].quant_enable = 'yes'), CONV, 'quant_enable', 'quant_enable of layer MobilenetV2/Conv/Conv2D must be true or false'],
    ['a layer that is not an object', (c) => (c[CONV] = true), CONV, undefined, 'must be an object'],
    ['channel_wise on MatMul', (c) => (c[MATMUL].weight_quant_params.channel_wise = true), MATMUL, 'weight_quant_params.channel_wise',
      'can be true only for the conv family'],
    ['asymmetric on two activations', (c) => (c[BMM].activation_quant_params.asymmetric = true), BMM, 'activation_quant_params.asymmetric', 'quantized symmetric'],
    ['an unknown layer', (c) => (c['ghost/Conv2D'] = c[CONV]), 'ghost/Conv2D', undefined, 'Layer ghost/Conv2D does not exist in the graph'],
    ['an unquantizable layer', (c) => (c[DYNAMIC] = c[CONV]), DYNAMIC, undefined, `Layer ${DYNAMIC} does not support quantization: its filter`],
    ['a tensor-only layer', (c) => (c[MAXPOOL] = { quant_enable: true }), MAXPOOL, undefined, 'does not support quantization as a layer'],
    ['a tensor entry on a conv', (c) => (c.tensor_quantize = [{ layer_name: CONV, input_index: 0 }]), CONV, undefined, 'does not support tensor quantization'],
    ['a bad tensor input', (c) => (c.tensor_quantize = [{ layer_name: MAXPOOL, input_index: 2 }]), MAXPOOL, 'tensor_quantize[0].input_index', 'input_index 2 of layer pool/MaxPool'],
    ['a tensor entry twice', (c) => (c.tensor_quantize = [{ layer_name: ADD, input_index: 0 }, { layer_name: ADD, input_index: 0 }]), ADD, 'tensor_quantize[1].input_index', 'listed twice'],
    ['a tensor entry without index', (c) => (c.tensor_quantize = [{ layer_name: ADD }]), ADD, 'tensor_quantize[0]', 'lacks the field input_index'],
    ['a tensor entry with a bad percentile', (c) => (c.tensor_quantize = [{ layer_name: ADD, input_index: 0, activation_quant_params: { max_percentile: 2 } }]), ADD,
      'tensor_quantize[0].activation_quant_params.max_percentile', 'must be a number in (0.5, 1.0], got 2'],
    ['an unknown fusion layer', (c) => (c.skip_fusion_layers = ['ghost']), 'ghost', undefined, 'Layer ghost does not exist in the graph'],
    ['every layer disabled', (c) => Object.keys(c).forEach((k) => c[k].quant_enable !== undefined && (c[k].quant_enable = false)), undefined, undefined, 'no layer to quantize'],
  ];

  // Layer-selection problems carry the codes buildQuantConfig uses for them; the rest are CONFIG_INVALID.
  const CODES: Record<string, string> = {
    'an unknown layer': 'LAYER_NOT_FOUND',
    'an unknown fusion layer': 'LAYER_NOT_FOUND',
    'an unquantizable layer': 'LAYER_NOT_QUANTIZABLE',
    'a tensor-only layer': 'LAYER_NOT_QUANTIZABLE',
    'a tensor entry on a conv': 'LAYER_NOT_QUANTIZABLE',
    'every layer disabled': 'NO_LAYER_TO_QUANTIZE',
  };

  it.each(cases)('rejects %s', (name, edit, layer, field, message) => {
    const value = configWith(edit);
    const text = JSON.stringify(value, null, 4);
    const e = errorOf(() => parseQuantConfig(text, fakeLayers(), FILE));
    expect(e.code).toBe(CODES[name] ?? 'CONFIG_INVALID');
    expect(e.message).toContain(message);
    expect(e.layer).toBe(layer);
    expect(e.field).toBe(field);
    expect(e.file).toBe(FILE);
    expect(e.hint).toBeTruthy();
    expect(e.message).not.toMatch(/instancePath|schemaPath|#\/definitions/);
    if (e.line !== undefined) {
      const lineText = text.split('\n')[e.line - 1];
      const leaf = field?.split('.').pop();
      // an error about a whole tensor_quantize entry points at its opening brace
      const needle = leaf === undefined ? layer : /\]$/.test(leaf) ? '{' : leaf;
      if (needle) expect(lineText).toContain(needle);
    }
  });
});

describe('unknown top-level fields', () => {
  it.each([
    ['"batch_nm": 4', 'batch_nm', 4, 'unknown field batch_nm in the config (did you mean batch_num?'],
    ['"do_fuson": false', 'do_fuson', false, 'unknown field do_fuson in the config (did you mean do_fusion?'],
    ['"skip_layers": ["a"]', 'skip_layers', ['a'], 'unknown field skip_layers in the config (the top-level fields are version, batch_num'],
  ])('%s is an unknown field with its line, not a malformed layer', (_name, key, value, message) => {
    const text = JSON.stringify(configWith((c) => (c[key] = value)), null, 4);
    const e = errorOf(() => parseQuantConfig(text, fakeLayers(), FILE));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.field).toBe(key);
    expect(e.layer).toBeUndefined();
    expect(e.line).toBe(text.split('\n').findIndex((l) => l.includes(`"${key}"`)) + 1);
    expect(e.message).toContain(message);
  });
});
