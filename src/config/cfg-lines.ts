/**
 * Line numbers for things found wrong in a .cfg after parsing (unknown layer names,
 * values out of range). Paths are those of fieldLines: `override_layer_types[1].layer_type[0]`.
 */
import { ConfigError, ErrorCode } from '../errors';
import { fieldLines } from '../record/text-proto';
import { ConfigDefinition } from './types';

const cache = new WeakMap<object, Map<string, number>>();

export function cfgLine(def: ConfigDefinition, path: string): number | undefined {
  const source = def.source;
  if (!source) return undefined;
  let lines = cache.get(source);
  if (!lines) {
    lines = fieldLines(source.text);
    cache.set(source, lines);
  }
  // a field left at its default has no line: fall back to the message that would hold it
  for (let p = path; p; p = p.slice(0, Math.max(0, p.lastIndexOf('.')))) {
    const line = lines.get(p);
    if (line !== undefined) return line;
  }
  return undefined;
}

const REPEATED = new Set(['skip_layers', 'skip_layer_types', 'skip_fusion_layers', 'override_layer_types', 'override_layer_configs', 'tensor_quantize']);

/** `common_config[0].ifmr_quantize[0].search_step[0]` → `common_config.ifmr_quantize.search_step`. */
export function displayPath(path: string): string {
  const segments = path.split('.');
  return segments
    .map((seg, i) => {
      const m = /^(\w+)\[(\d+)\]$/.exec(seg);
      if (!m) return seg;
      return REPEATED.has(m[1]) && i < segments.length - 1 ? `${m[1]}[${m[2]}]` : m[1];
    })
    .join('.');
}

export interface CfgErrorContext {
  layer?: string;
  hint?: string;
}

/** A ConfigError about the .cfg at `path`, naming its file, line and field. */
export function cfgError(def: ConfigDefinition, code: ErrorCode, message: string, path: string, ctx: CfgErrorContext = {}): ConfigError {
  return new ConfigError(code, message, {
    file: def.source?.file,
    line: cfgLine(def, path),
    field: displayPath(path),
    layer: ctx.layer,
    hint: ctx.hint,
  });
}
