/**
 * The part of the JSON config quantizeModel needs BEFORE it knows the graph's layers:
 * `do_fusion` and `skip_fusion_layers` decide how the graph is prepared, and the layers
 * (hence the full validation) only exist after that. The text is read once and handed on,
 * so the header and the full check see the same bytes even if the file changes meanwhile.
 */
import { parseQuantConfig } from '../config';
import { ConfigError } from '../errors';
import { readTextInput } from '../io/read';

export interface ConfigHeader {
  /** The whole file, for the full validation once the layers are known. */
  text: string;
  doFusion: boolean;
  skipFusionLayers: string[];
}

function readConfigText(file: string): Promise<string> {
  return readTextInput(file, { what: 'quantization config', missingHint: 'create it with createQuantConfig first', errorClass: ConfigError });
}

/** The header when it is well-formed, undefined otherwise (the full parser then explains). */
function pickHeader(text: string): Omit<ConfigHeader, 'text'> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { do_fusion: doFusion = true, skip_fusion_layers: skip = [] } = value as Record<string, unknown>;
  if (typeof doFusion !== 'boolean' || !Array.isArray(skip) || !skip.every((s) => typeof s === 'string')) return undefined;
  return { doFusion, skipFusionLayers: skip as string[] };
}

export async function readConfigHeader(file: string): Promise<ConfigHeader> {
  const text = await readConfigText(file);
  const header = pickHeader(text);
  if (header) return { text, ...header };
  // Malformed: the full parser reports syntax and schema errors with their line and field
  // before it ever looks at layer names, so an empty layer list is enough to get them.
  parseQuantConfig(text, [], file);
  throw new ConfigError('CONFIG_INVALID', 'the quantization config is not a JSON object with do_fusion / skip_fusion_layers of the right types', {
    file,
    hint: 'regenerate it with createQuantConfig',
  });
}
