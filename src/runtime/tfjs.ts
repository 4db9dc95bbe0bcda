/**
 * The one place runtime/ loads TensorFlow.js. tfjs-core, the converter and the backends
 * in node_modules share a single tfjs-core instance (checked: all resolve
 * @tensorflow/tfjs-core to the same file), so a tensor made with `@tensorflow/tfjs` by a
 * user is a tensor of our engine too. The cpu backend is a hard dependency; wasm and
 * tfjs-node are loaded lazily so that a broken or missing install only removes that
 * backend instead of breaking `import 'amct-ts'`.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as converter from '@tensorflow/tfjs-converter';
import { describe } from '../errors';
import { log } from '../log';

export { tf, converter };

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js ...
 * install our node backend" (console.warn, with a stack trace under jest) on the first
 * tensor it stores when IS_NODE is set. amct-ts chooses tfjs-node itself when it is
 * installed and documents the backends, so that banner only confuses users of the wasm
 * default. The backend shows it while its `firstUse` flag is true: we clear that flag on
 * the cpu backend (instantiating it is cheap and does not make it the current backend).
 * Nothing else is silenced: tfjs's other warnings still print.
 */
function quietCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
}
quietCpuBanner();

export interface LoadResult {
  ok: boolean;
  /** Why the package could not be loaded, for hints. */
  reason?: string;
}

let wasmLoad: LoadResult | undefined;
let tfjsNodeLoad: LoadResult | undefined;

/**
 * Registers the wasm backend. In Node the emscripten loader reads the .wasm files with
 * fs, so we point it at the package's own dist folder (no fetch, no network).
 */
export function loadWasm(): LoadResult {
  if (wasmLoad) return wasmLoad;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dir + path.sep);
    wasmLoad = { ok: true };
  } catch (e) {
    wasmLoad = { ok: false, reason: `@tensorflow/tfjs-backend-wasm cannot be loaded: ${describe(e)}` };
    log.debug(wasmLoad.reason!);
  }
  return wasmLoad;
}

/** Name under which tfjs-node registers its backend. */
export const TFJS_NODE_BACKEND = 'tensorflow';

/**
 * tfjs-node is an optional peer dependency with a native binding; it is absent on most
 * machines. It must also share our tfjs-core: a second copy would register its backend in
 * another engine, where our models never run.
 */
export function loadTfjsNode(): LoadResult {
  if (tfjsNodeLoad) return tfjsNodeLoad;
  try {
    require('@tensorflow/tfjs-node');
    tfjsNodeLoad = tf.findBackendFactory(TFJS_NODE_BACKEND)
      ? { ok: true }
      : { ok: false, reason: '@tensorflow/tfjs-node was loaded but uses another copy of @tensorflow/tfjs-core (version mismatch)' };
  } catch (e) {
    tfjsNodeLoad = { ok: false, reason: `@tensorflow/tfjs-node cannot be imported: ${describe(e).split('\n')[0]}` };
  }
  if (!tfjsNodeLoad.ok) log.debug(tfjsNodeLoad.reason!);
  return tfjsNodeLoad;
}
