/**
 * The DMQ balancer's config (SPEC §10): dmq_balancer_param in the JSON (schema + the rule
 * that only layers with weights take it), dmq_balancer { migration_strength } in the .cfg
 * at every precedence level, createQuantConfig's option, and setDmqBalancerParam.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { setDmqBalancerParam } from '../../src/api';
import { buildQuantConfig, formatQuantConfig, LayerQuantConfig, parseConfigDefinition, parseQuantConfig, QuantConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { errorOf as expectError } from '../helpers/errors';
import { AVGPOOL, CONV, DEPTHWISE, fakeLayers, FUSED, MATMUL } from './fake-layers';

const errorOf = (fn: () => unknown) => expectError(fn, ConfigError);
const alphaOf = (c: QuantConfig, name: string) => (c[name] as LayerQuantConfig).dmq_balancer_param;
const build = (text: string) => buildQuantConfig(fakeLayers(), { definition: parseConfigDefinition(text, 'q.cfg') });

function configWith(layer: string, value: unknown): string {
  const c = buildQuantConfig(fakeLayers()) as Record<string, unknown>;
  (c[layer] as Record<string, unknown>).dmq_balancer_param = value;
  return formatQuantConfig(c as QuantConfig);
}

describe('JSON config', () => {
  test('off by default; the option puts α on every layer with weights only', () => {
    const plain = buildQuantConfig(fakeLayers());
    for (const name of [CONV, DEPTHWISE, MATMUL, FUSED]) expect(alphaOf(plain, name)).toBeUndefined();
    const on = buildQuantConfig(fakeLayers(), { dmqBalancerParam: 0.5 });
    for (const name of [CONV, DEPTHWISE, MATMUL, FUSED]) expect(alphaOf(on, name)).toBe(0.5);
    expect(alphaOf(on, AVGPOOL)).toBeUndefined();
    // and the file reads back with the value resolved
    expect(parseQuantConfig(formatQuantConfig(on), fakeLayers()).resolved.get(CONV)!.dmqBalancer).toBe(0.5);
  });

  test('the option out of range is a ConfigError naming the field', () => {
    const e = errorOf(() => buildQuantConfig(fakeLayers(), { dmqBalancerParam: 0.9 }));
    expect(e).toMatchObject({ code: 'CONFIG_INVALID', field: 'dmq_balancer_param' });
    expect(e.message).toMatch(/\[0.2, 0.8\], got 0.9/);
  });

  test.each([[0.1], [0.85], ['0.5'], [null], [true]])('dmq_balancer_param %p is rejected naming layer, field and line', (value) => {
    const e = errorOf(() => parseQuantConfig(configWith(CONV, value), fakeLayers(), 'c.json'));
    expect(e).toMatchObject({ code: 'CONFIG_INVALID', layer: CONV, field: 'dmq_balancer_param', file: 'c.json' });
    expect(e.message).toContain(`dmq_balancer_param of layer ${CONV} must be a number in [0.2, 0.8]`);
    expect(e.line).toBeGreaterThan(1);
  });

  test('the bounds 0.2 and 0.8 are accepted', () => {
    for (const v of [0.2, 0.8]) expect(parseQuantConfig(configWith(CONV, v), fakeLayers()).resolved.get(CONV)!.dmqBalancer).toBe(v);
  });

  test('a layer without weights cannot take the balancer', () => {
    const e = errorOf(() => parseQuantConfig(configWith(AVGPOOL, 0.5), fakeLayers(), 'c.json'));
    expect(e).toMatchObject({ code: 'CONFIG_INVALID', layer: AVGPOOL, field: 'dmq_balancer_param' });
    expect(e.message).toMatch(/has none/);
    expect(e.hint).toMatch(/Conv2D/);
  });
});

describe('.cfg dmq_balancer { migration_strength }', () => {
  test('common_config: every layer with weights; AvgPool silently keeps none', () => {
    const c = build('common_config { dmq_balancer { migration_strength: 0.4 } }');
    for (const name of [CONV, DEPTHWISE, MATMUL, FUSED]) expect(alphaOf(c, name)).toBe(0.4);
    expect(alphaOf(c, AVGPOOL)).toBeUndefined();
  });

  test('precedence: override_layer_configs > override_layer_types > common_config', () => {
    const c = build(`
      common_config { dmq_balancer { migration_strength: 0.3 } }
      override_layer_types { layer_type: "Conv2D" calibration_config { dmq_balancer { migration_strength: 0.6 } } }
      override_layer_configs { layer_name: "${CONV}" calibration_config { dmq_balancer: { migration_strength: 0.8 } } }
    `);
    expect(alphaOf(c, CONV)).toBe(0.8);
    expect(alphaOf(c, FUSED)).toBe(0.6); // _FusedConv2D counts as Conv2D
    expect(alphaOf(c, MATMUL)).toBe(0.3);
  });

  test('an override without dmq_balancer keeps the lower level\'s', () => {
    const c = build(`
      common_config { dmq_balancer { migration_strength: 0.3 } }
      override_layer_configs { layer_name: "${CONV}" calibration_config { arq_quantize { channel_wise: false } } }
    `);
    expect(alphaOf(c, CONV)).toBe(0.3);
  });

  test('no dmq_balancer anywhere: off', () => {
    expect(alphaOf(build('batch_num: 2'), CONV)).toBeUndefined();
  });

  test.each([
    ['common_config { dmq_balancer { migration_strength: 0.9 } }', /migration_strength in common_config.dmq_balancer must be in \[0.2, 0.8\], got 0.9/],
    ['common_config { dmq_balancer { } }', /migration_strength in common_config.dmq_balancer is missing/],
    [`override_layer_configs { layer_name: "${CONV}" calibration_config { dmq_balancer { migration_strength: 0.1 } } }`, /override_layer_configs\[0\].calibration_config.dmq_balancer must be in/],
  ])('out of range or missing: %s', (text, message) => {
    const e = errorOf(() => parseConfigDefinition(`\n${text}\n`, 'q.cfg'));
    expect(e).toMatchObject({ code: 'CONFIG_INVALID', file: 'q.cfg', line: 2 });
    expect(e.message).toMatch(message);
  });

  test('non-numeric migration_strength is a parse error with its line', () => {
    const e = errorOf(() => parseConfigDefinition('batch_num: 1\ncommon_config { dmq_balancer { migration_strength: "high" } }', 'q.cfg'));
    expect(e).toMatchObject({ code: 'CONFIG_PARSE_FAILED', line: 2 });
  });

  test('override on a layer or layer type without weights is an error naming the layer', () => {
    const e = errorOf(() => build(`override_layer_configs { layer_name: "${AVGPOOL}" calibration_config { dmq_balancer { migration_strength: 0.5 } } }`));
    expect(e).toMatchObject({ code: 'CONFIG_INVALID', layer: AVGPOOL });
    expect(e.message).toMatch(/dmq_balancer for layer .*AvgPool.*has none/);
    const t = errorOf(() => build('override_layer_types { layer_type: "AvgPool" calibration_config { dmq_balancer { migration_strength: 0.5 } } }'));
    expect(t).toMatchObject({ code: 'CONFIG_INVALID', layer: AVGPOOL });
  });
});

describe('setDmqBalancerParam', () => {
  test('writes a new config with α on the given layers; the input is untouched', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'amct-dmq-cfg-'));
    try {
      const input = path.join(dir, 'config.json');
      const text = formatQuantConfig(buildQuantConfig(fakeLayers()));
      await fsp.writeFile(input, text);
      const out = path.join(dir, 'balanced.json');
      await setDmqBalancerParam(input, out, [CONV, MATMUL], 0.7);
      const c = parseQuantConfig(await fsp.readFile(out, 'utf8'), fakeLayers());
      expect(c.resolved.get(CONV)!.dmqBalancer).toBe(0.7);
      expect(c.resolved.get(MATMUL)!.dmqBalancer).toBe(0.7);
      expect(c.resolved.get(DEPTHWISE)!.dmqBalancer).toBeUndefined();
      expect(await fsp.readFile(input, 'utf8')).toBe(text);
      // undefined removes it again
      const off = path.join(dir, 'off.json');
      await setDmqBalancerParam(out, off, [CONV], undefined);
      expect(parseQuantConfig(await fsp.readFile(off, 'utf8'), fakeLayers()).resolved.get(CONV)!.dmqBalancer).toBeUndefined();
      await expect(setDmqBalancerParam(input, path.join(dir, 'x.json'), [AVGPOOL], 0.5)).rejects.toMatchObject({ code: 'CONFIG_INVALID', layer: AVGPOOL });
      await expect(setDmqBalancerParam(input, path.join(dir, 'x.json'), ['nope'], 0.5)).rejects.toMatchObject({ code: 'LAYER_NOT_FOUND', layer: 'nope' });
      await expect(setDmqBalancerParam(input, path.join(dir, 'x.json'), [CONV], 1)).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: 'dmq_balancer_param' });
      await expect(setDmqBalancerParam(input, input, [CONV], 0.5)).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT' });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
