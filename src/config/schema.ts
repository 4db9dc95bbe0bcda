/**
 * The JSON Schema of the config (schema/quant-config.schema.json, shipped in the
 * package), applied with ajv, and ajv's findings put in words that name the layer and
 * field. The schema file is found from this module's folder: src/config and
 * dist/config are both two levels below the package root.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { HEADER_KEYS } from './types';

export const QUANT_CONFIG_SCHEMA_PATH = path.resolve(__dirname, '..', '..', 'schema', 'quant-config.schema.json');

let validator: ValidateFunction | undefined;

export function quantConfigValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(fs.readFileSync(QUANT_CONFIG_SCHEMA_PATH, 'utf8')) as object;
    validator = new Ajv({ allErrors: false, strict: true }).compile(schema);
  }
  return validator;
}

/** What each field must be, in the words of SPEC §3. */
const RULES: Readonly<Record<string, string>> = {
  version: '1',
  batch_num: 'an integer from 1 to 1000000',
  activation_offset: 'true or false',
  joint_quant: 'true or false',
  do_fusion: 'true or false',
  skip_fusion_layers: 'a list of layer names',
  tensor_quantize: 'a list of { "layer_name", "input_index", "activation_quant_params" }',
  quant_enable: 'true or false',
  activation_quant_params: 'an object',
  weight_quant_params: 'an object',
  num_bits: '8',
  act_algo: '"ifmr" or "hfmg"',
  max_percentile: 'a number in (0.5, 1.0]',
  min_percentile: 'a number in (0.5, 1.0]',
  search_range: 'two numbers [start, end] with 0 < start < end',
  search_step: 'a number > 0 and at most search_range end - start',
  num_of_bins: 'one of 1024, 2048, 4096, 8192',
  asymmetric: 'true or false',
  wts_algo: '"arq_quantize"',
  channel_wise: 'true or false',
  layer_name: 'a layer name',
  input_index: 'an integer >= 0',
  dmq_balancer_param: 'a number in [0.2, 0.8] (the DMQ balancer\'s migration strength)',
};

const IFMR_KEYS = new Set(['max_percentile', 'min_percentile', 'search_range', 'search_step']);

export interface SchemaProblem {
  message: string;
  /** JSON pointer of the offending value, for its line. */
  pointer: string;
  layer?: string;
  field?: string;
}

function segments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, segs: string[]): unknown {
  return segs.reduce<unknown>((v, s) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined), root);
}

/** The layer a pointer is about (a layer key, or a tensor_quantize entry's layer_name) and its field path. */
export function locate(root: unknown, segs: string[]): { layer?: string; field?: string } {
  if (segs.length === 0) return {};
  if (segs[0] === 'tensor_quantize' && segs.length > 1) {
    const name = valueAt(root, segs.slice(0, 2).concat('layer_name'));
    const field = [`tensor_quantize[${segs[1]}]`, ...segs.slice(2)].join('.');
    return { layer: typeof name === 'string' ? name : undefined, field };
  }
  if ((HEADER_KEYS as readonly string[]).includes(segs[0])) return { field: segs.join('.') };
  return { layer: segs[0], field: segs.length > 1 ? segs.slice(1).join('.') : undefined };
}

function subject(layer: string | undefined, field: string | undefined): string {
  if (!field) return layer !== undefined ? `layer ${layer}` : 'the config';
  return layer !== undefined ? `${field} of layer ${layer}` : field;
}

/** One ajv error in words; search_range elements are reported as the whole range. */
export function translateSchemaError(error: ErrorObject, root: unknown): SchemaProblem {
  let segs = segments(error.instancePath);
  const extra = (error.params as { additionalProperty?: string; missingProperty?: string });
  if (/^\d+$/.test(segs[segs.length - 1] ?? '') && segs[segs.length - 2] === 'search_range') segs = segs.slice(0, -1);
  if (error.keyword === 'additionalProperties') segs = [...segs, extra.additionalProperty!];
  const pointer = segs.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  const { layer, field } = locate(root, segs);
  const leaf = segs[segs.length - 1] ?? '';
  const got = JSON.stringify(valueAt(root, segs));
  let message: string;
  if (error.keyword === 'additionalProperties') {
    message = `unknown field ${field} in ${layer !== undefined ? `layer ${layer}` : segs.length > 1 ? segs.slice(0, -1).join('.') : 'the config'}`;
  } else if (error.keyword === 'required') {
    message = `${subject(layer, field)} lacks the field ${extra.missingProperty}`;
  } else if (error.keyword === 'false schema') {
    message = IFMR_KEYS.has(leaf)
      ? `${subject(layer, field)} is not allowed with act_algo "hfmg" (it takes num_of_bins and asymmetric only)`
      : `${subject(layer, field)} applies only to act_algo "hfmg"`;
  } else if (segs.length === 1 && layer !== undefined) {
    message = `layer ${layer} must be an object with quant_enable, activation_quant_params and weight_quant_params, got ${got}`;
  } else {
    const rule = RULES[leaf];
    message = rule ? `${subject(layer, field)} must be ${rule}, got ${got}` : `${subject(layer, field)} ${error.message ?? 'is invalid'}, got ${got}`;
  }
  return { message, pointer, layer, field };
}
