/**
 * The JSON config's text: 4-space indentation (SPEC §3), header keys first in SPEC
 * order, then layers sorted by name. Keys are ordered here rather than trusted to the
 * object, since JS puts integer-like keys (a node named "1") first.
 */
import { HEADER_KEYS, QuantConfig } from './types';

const INDENT = '    ';

function member(key: string, value: unknown): string {
  const text = JSON.stringify(value, null, 4).replace(/\n/g, `\n${INDENT}`);
  return `${INDENT}${JSON.stringify(key)}: ${text}`;
}

export function formatQuantConfig(config: QuantConfig): string {
  const header = (HEADER_KEYS as readonly string[]).filter((k) => config[k] !== undefined);
  const layers = Object.keys(config)
    .filter((k) => !(HEADER_KEYS as readonly string[]).includes(k))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const members = [...header, ...layers].map((k) => member(k, config[k]));
  return `{\n${members.join(',\n')}\n}\n`;
}
