/**
 * Top-level keys of the JSON config are the header fields (version, batch_num, ...) or
 * layer names, each holding an object. A key that is neither a header field nor a layer
 * of the graph and holds no object is a misspelt field ("batch_nm": 4): say so, with a
 * "did you mean", instead of calling it a malformed layer.
 */
import type { LayerCandidate } from '../passes/layer-types';
import { pointerOf } from './problem';
import type { ConfigProblem } from './problem';
import { HEADER_KEYS } from './types';

function isObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Levenshtein distance, for "did you mean" on short field names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function suggestion(name: string): string {
  const best = HEADER_KEYS.map((k) => ({ k, d: distance(name.toLowerCase(), k) })).sort((x, y) => x.d - y.d)[0];
  const known = `the top-level fields are ${HEADER_KEYS.join(', ')}; every other key is a layer and holds an object`;
  return best.d <= 2 ? ` (did you mean ${best.k}? ${known})` : ` (${known})`;
}

/** The first top-level key that can only be a misspelt field, as a problem located by pointer. */
export function unknownTopLevelField(value: unknown, layers: readonly LayerCandidate[]): ConfigProblem | undefined {
  if (!isObject(value)) return undefined;
  const layerNames = new Set(layers.map((l) => l.name));
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if ((HEADER_KEYS as readonly string[]).includes(key) || layerNames.has(key) || isObject(v)) continue;
    return { message: `unknown field ${key} in the config${suggestion(key)}`, pointer: pointerOf(key), field: key };
  }
  return undefined;
}
