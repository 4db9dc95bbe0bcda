/**
 * Real TensorFlow.js graph models from the devDependencies, for integration tests.
 * Human's float32 models are plain model.json + .bin files; nsfwjs ships its model as
 * JS modules (model.min.js, shard .min.js holding base64), which `nsfwjsModel()` turns
 * into a model.json + .bin shards in a temp folder once per process.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface TestModel {
  name: string;
  /** Path of the model.json. */
  path: string;
}

/** @vladmandic/human's models folder (its main entry is dist/human.node.js). */
export const HUMAN_MODELS_DIR = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');

export function humanModel(name: string): TestModel {
  return { name, path: path.join(HUMAN_MODELS_DIR, `${name}.json`) };
}

/** Human models whose weights are all stored as plain float32/int32. */
export const FLOAT_MODELS: TestModel[] = ['blazeface', 'emotion', 'iris', 'liveness'].map(humanModel);

/** Human models with float16-stored weights, and one with uint8-quantized weights. */
export const FLOAT16_MODELS: TestModel[] = ['antispoof', 'faceres'].map(humanModel);
export const UINT8_MODEL: TestModel = humanModel('handtrack');

/** The largest human model with unquantized float32 weights. */
export const LARGEST_FLOAT_MODEL: TestModel = humanModel('iris');

export const NSFWJS_DIR = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2_mid');

export interface JsonArtifacts {
  modelJson: { weightsManifest: { paths: string[]; weights: unknown[] }[] } & Record<string, unknown>;
  weightData: Uint8Array;
}

let nsfwjsArtifactsCache: JsonArtifacts | undefined;

/** nsfwjs mobilenet_v2_mid (uint8-quantized weights) as a model.json object and its shards concatenated. */
export function nsfwjsArtifacts(): JsonArtifacts {
  if (!nsfwjsArtifactsCache) {
    const modelJson = require(path.join(NSFWJS_DIR, 'model.min.js'));
    const shards = modelJson.weightsManifest.flatMap((g: { paths: string[] }) => g.paths).map((p: string) => Buffer.from(require(path.join(NSFWJS_DIR, `${p}.min.js`)) as string, 'base64'));
    nsfwjsArtifactsCache = { modelJson, weightData: new Uint8Array(Buffer.concat(shards)) };
  }
  return nsfwjsArtifactsCache;
}

const NSFWJS_PREFIX = 'amct-ts-nsfwjs-';

/**
 * nsfwjs mobilenet_v2_mid written as model.json + `<shard>.bin` files. The folder is
 * named after the process id so every test file of a jest run reuses it. Jest's
 * sandboxed `process` never fires 'exit' handlers, so folders left by processes that
 * have ended are removed the next time one is made.
 */
export function nsfwjsModel(): TestModel {
  const dir = path.join(os.tmpdir(), `${NSFWJS_PREFIX}${process.pid}`);
  const file = path.join(dir, 'model.json');
  if (!fs.existsSync(file)) {
    removeStale();
    materialize(dir);
  }
  return { name: 'nsfwjs_mobilenet_v2_mid', path: file };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeStale(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const pid = Number(name.slice(NSFWJS_PREFIX.length));
    if (name.startsWith(NSFWJS_PREFIX) && Number.isInteger(pid) && pid > 0 && !alive(pid)) {
      fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  }
}

function materialize(dir: string): void {
  const { modelJson } = nsfwjsArtifacts();
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-ts-staging-'));
  const manifest = modelJson.weightsManifest.map((g) => ({ ...g, paths: g.paths.map((p) => `${p}.bin`) }));
  for (const p of modelJson.weightsManifest.flatMap((g) => g.paths)) {
    fs.writeFileSync(path.join(staging, `${p}.bin`), Buffer.from(require(path.join(NSFWJS_DIR, `${p}.min.js`)) as string, 'base64'));
  }
  fs.writeFileSync(path.join(staging, 'model.json'), JSON.stringify({ ...modelJson, weightsManifest: manifest }));
  try {
    fs.renameSync(staging, dir); // atomic: another test file of this process may race us
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true })); // fires outside jest
  } catch {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Every real float model: human's float32 ones and nsfwjs (uint8-stored, loads as float). */
export function allFloatModels(): TestModel[] {
  return [...FLOAT_MODELS, nsfwjsModel()];
}
