/**
 * `--evaluator FILE.js`: the user's evaluator module, CommonJS or ESM, loaded by Node's own
 * loader (not through a bundler or test runner). It may export the evaluator object as
 * the default export, as a named export `evaluator`, as its own calibration / evaluate /
 * metricEval functions, or export a class (AMCT's evaluators are class instances), which
 * is instantiated without arguments.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { EVALUATOR_METHODS } from '../analysis/auto-calibration-evaluator';
import { AutoCalibrationError, describe } from '../errors';
import { UsageError } from './usage-error';

const EXPORT_HINT = 'export the evaluator object: module.exports = { calibration, evaluate, metricEval } (CommonJS), or export default { ... } / export const evaluator = { ... } (ESM)';

type Loaded = Record<string, unknown>;

/** Node's own dynamic import, which TypeScript's CommonJS output would turn into require. */
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<Loaded>;

async function loadModule(file: string): Promise<Loaded> {
  const load = createRequire(file);
  try {
    return load(file) as Loaded;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ESM on Node without require(esm), or ESM with top-level await: Node's import() does both.
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') return nativeImport(pathToFileURL(file).href);
    throw e;
  }
}

function hasMethods(x: unknown): boolean {
  return x !== null && (typeof x === 'object' || typeof x === 'function') && EVALUATOR_METHODS.every((m) => typeof (x as Loaded)[m] === 'function');
}

/** A class whose instances have the methods (checked on its prototype chain). */
function isEvaluatorClass(x: unknown): x is new () => unknown {
  return typeof x === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(x)) && hasMethods((x as { prototype: unknown }).prototype);
}

/** The evaluator a module exports, in order: default, `evaluator`, the module's own functions. */
export function pickEvaluator(mod: Loaded, file: string): unknown {
  const defaultExport = mod.default !== null && typeof mod.default === 'object' && 'default' in (mod.default as Loaded) ? (mod.default as Loaded).default : mod.default;
  for (const candidate of [defaultExport, mod.evaluator, mod]) {
    if (isEvaluatorClass(candidate)) return new candidate();
    if (hasMethods(candidate)) return candidate;
  }
  const found = Object.keys(mod).filter((k) => k !== '__esModule');
  throw new AutoCalibrationError('EVALUATOR_INVALID', `${file} exports no evaluator with calibration, evaluate and metricEval methods (it exports: ${found.join(', ') || 'nothing'})`, {
    file,
    field: 'evaluator',
    hint: EXPORT_HINT,
  });
}

export async function loadEvaluatorModule(file: string): Promise<unknown> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) {
    throw new UsageError(`the --evaluator file ${file} does not exist`, { file: abs, hint: 'give the path of a .js, .cjs or .mjs module that exports your evaluator' }, 'FILE_NOT_FOUND');
  }
  let mod: Loaded;
  try {
    mod = await loadModule(abs);
  } catch (e) {
    throw new AutoCalibrationError('EVALUATOR_INVALID', `cannot load the --evaluator module ${file}: ${describe(e)}`, {
      file: abs,
      cause: e,
      hint: 'the module must run under plain Node (compile TypeScript to .js first); run with --verbose for the stack trace',
    });
  }
  return pickEvaluator(mod, abs);
}
