/**
 * Reading the JSON config quantizeModel is given (SPEC §3): duplicate keys and syntax
 * (with lines), the JSON Schema, then the rules that need the graph or span fields.
 * Every failure is a ConfigError naming file, line, layer and field: CONFIG_INVALID, or the
 * code buildQuantConfig uses for the same problem (LAYER_NOT_FOUND, LAYER_NOT_QUANTIZABLE,
 * NO_LAYER_TO_QUANTIZE), so callers can branch on one code whichever path found it.
 */
import { ConfigError } from '../errors';
import { LayerCandidate } from '../passes/layer-types';
import { indexCandidates } from './candidates';
import { JsonLinesError, parseJsonWithLines } from './json-lines';
import { ConfigProblemError } from './problem';
import { resolveConfig } from './resolve';
import { quantConfigValidator, translateSchemaError } from './schema';
import { unknownTopLevelField } from './top-level';
import { LoadedQuantConfig, QuantConfig } from './types';
import { readTextInput } from '../io/read';

function lineOf(lines: Map<string, number>, pointer: string): number | undefined {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const line = lines.get(p);
    if (line !== undefined || p === '') return line;
  }
}

const HINT = 'fix the config file, or regenerate it with createQuantConfig';

function parseJson(text: string, file?: string): { value: unknown; lines: Map<string, number> } {
  try {
    return parseJsonWithLines(text);
  } catch (e) {
    if (!(e instanceof JsonLinesError)) throw e;
    const segs = e.problem.pointer?.slice(1).split('/') ?? [];
    throw new ConfigError('CONFIG_INVALID', `invalid JSON in the quantization config: ${e.problem.message}`, {
      file,
      line: e.problem.line,
      layer: segs.length > 1 ? segs[0].replace(/~1/g, '/').replace(/~0/g, '~') : undefined,
      hint: 'the config must be JSON with each key once',
    });
  }
}

/** Parses and checks config text against the graph's layer candidates; `file` labels errors. */
export function parseQuantConfig(text: string, layers: readonly LayerCandidate[], file = '<config>'): LoadedQuantConfig {
  const { value, lines } = parseJson(text, file);
  const unknown = unknownTopLevelField(value, layers);
  if (unknown) throw new ConfigError('CONFIG_INVALID', unknown.message, { file, line: lineOf(lines, unknown.pointer), field: unknown.field, hint: HINT });
  const validate = quantConfigValidator();
  if (!validate(value)) {
    const p = translateSchemaError(validate.errors![0], value);
    throw new ConfigError('CONFIG_INVALID', p.message, { file, line: lineOf(lines, p.pointer), layer: p.layer, field: p.field, hint: HINT });
  }
  try {
    return resolveConfig(value as QuantConfig, indexCandidates(layers), file);
  } catch (e) {
    if (!(e instanceof ConfigProblemError)) throw e;
    const p = e.problem;
    throw new ConfigError(p.code ?? 'CONFIG_INVALID', p.message, { file, line: lineOf(lines, p.pointer), layer: p.layer, field: p.field, hint: p.hint ?? HINT });
  }
}

export async function loadQuantConfig(file: string, layers: readonly LayerCandidate[]): Promise<LoadedQuantConfig> {
  const text = await readTextInput(file, { what: 'quantization config', missingHint: 'create it with createQuantConfig first', errorClass: ConfigError });
  return parseQuantConfig(text, layers, file);
}
