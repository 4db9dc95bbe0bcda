/**
 * Backend choice (SPEC §1, ours): the option, else AMCT_BACKEND, else tfjs-node when it
 * can be imported, else wasm, else cpu. An explicit request that cannot be met is a
 * typed error; the automatic choice falls back with a debug log.
 */
import { SessionError } from '../errors';
import { log } from '../log';
import { loadTfjsNode, loadWasm, tf, TFJS_NODE_BACKEND, LoadResult } from './tfjs';
import { installWasmFallbacks } from './wasm-fallback';

export type BackendName = 'tfjs-node' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tfjs-node', 'wasm', 'cpu'];
export const BACKEND_ENV = 'AMCT_BACKEND';

/** The name tfjs registers each backend under. */
export function tfjsBackendName(name: BackendName): string {
  return name === 'tfjs-node' ? TFJS_NODE_BACKEND : name;
}

const initialized = new Map<BackendName, LoadResult>();

function load(name: BackendName): LoadResult {
  if (name === 'tfjs-node') return loadTfjsNode();
  if (name === 'wasm') {
    const result = loadWasm();
    if (result.ok) installWasmFallbacks();
    return result;
  }
  return { ok: true };
}

/**
 * Loads and initialises a backend (wasm compiles its module here), leaving the process's
 * current backend as it was. Call inside serialize(): it switches backends briefly.
 */
export async function probeBackend(name: BackendName): Promise<LoadResult> {
  const known = initialized.get(name);
  if (known) return known;
  let result = load(name);
  if (result.ok) {
    const previous = currentBackend();
    let ok = false;
    try {
      ok = await tf.setBackend(tfjsBackendName(name));
    } catch {
      ok = false;
    }
    if (!ok) result = { ok: false, reason: `tfjs could not initialise the ${name} backend` };
    await restoreBackend(previous);
  }
  initialized.set(name, result);
  return result;
}

function parseName(value: string, source: string): BackendName {
  const name = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new SessionError('BACKEND_UNAVAILABLE', `unknown backend "${value}" (from ${source})`, {
    hint: `use one of ${BACKEND_NAMES.join(', ')}`,
  });
}

function unavailable(name: BackendName, source: string, reason?: string): SessionError {
  const hint =
    name === 'tfjs-node'
      ? `install it with "npm install @tensorflow/tfjs-node" (same version as @tensorflow/tfjs-core), or choose wasm or cpu`
      : `reinstall the package, or choose another backend (${BACKEND_NAMES.join(', ')})`;
  return new SessionError('BACKEND_UNAVAILABLE', `backend ${name} requested by ${source} is not available: ${reason ?? 'unknown reason'}`, { hint });
}

/** Resolves and initialises the backend for a new session. Call inside serialize(). */
export async function chooseBackend(requested?: string): Promise<BackendName> {
  const fromEnv = process.env[BACKEND_ENV]?.trim();
  const source = requested !== undefined ? 'the backend option' : fromEnv ? `the ${BACKEND_ENV} environment variable` : undefined;
  if (source !== undefined) {
    const name = parseName(requested ?? fromEnv!, source);
    const probe = await probeBackend(name);
    if (!probe.ok) throw unavailable(name, source, probe.reason);
    return name;
  }
  for (const name of BACKEND_NAMES) {
    const probe = await probeBackend(name);
    if (probe.ok) return name;
    log.debug(`backend ${name} not available (${probe.reason}); trying the next one`);
  }
  throw unavailable('cpu', 'the automatic choice', 'no tfjs backend could be initialised');
}

/** The backend tfjs currently uses (initialising the best one if none is yet). */
export function currentBackend(): string | undefined {
  try {
    return tf.getBackend();
  } catch {
    return undefined;
  }
}

/** Makes `name` the process's backend; cheap when it already is. */
export async function activateBackend(name: BackendName): Promise<void> {
  const target = tfjsBackendName(name);
  if (tf.getBackend() === target) return;
  if (!(await tf.setBackend(target))) {
    throw unavailable(name, 'the session', 'tfjs failed to switch to it');
  }
}

/** Puts back the backend a caller had before a session ran. */
export async function restoreBackend(previous: string | undefined): Promise<void> {
  if (previous !== undefined && tf.getBackend() !== previous) await tf.setBackend(previous);
}
