/**
 * nsfwjs's `mobilenet_v2_mid`: a MobileNetV2 (TF Hub feature vector, 224×224) with a
 * 5-class head, shipped as JavaScript modules (model.min.js, and each weight shard a
 * .min.js holding base64). AMCT works on model files, so the example writes it out as
 * a TensorFlow.js graph model: model.json + `<shard>.bin`.
 *
 * Its graph starts with hub_input/Mul (×2) and hub_input/Sub (−1): nsfwjs feeds pixels
 * divided by 255 and the graph maps them to [−1, 1] itself.
 */
import * as fs from 'fs';
import * as path from 'path';

export const NSFWJS_MODEL_DIR = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2_mid');
export const INPUT = 'input';
export const OUTPUT = 'Identity';
export const SIDE = 224;
/** nsfwjs's NSFW_CLASSES, in output order. */
export const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

interface ModelJson {
  weightsManifest: { paths: string[] }[];
}

function shardBytes(name: string): Buffer {
  return Buffer.from(require(path.join(NSFWJS_MODEL_DIR, `${name}.min.js`)) as string, 'base64');
}

/**
 * Writes model.json and its shards into `dir` (once: an existing model.json is reused)
 * and returns the model.json path. A staging folder renamed into place means a run
 * killed halfway never leaves a model.json without its shards.
 */
export function writeNsfwjsModel(dir: string): string {
  const file = path.join(dir, 'model.json');
  if (fs.existsSync(file)) return file;
  const modelJson = require(path.join(NSFWJS_MODEL_DIR, 'model.min.js')) as ModelJson;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const staging = fs.mkdtempSync(`${dir}.staging-`);
  const names = modelJson.weightsManifest.flatMap((g) => g.paths);
  for (const name of names) fs.writeFileSync(path.join(staging, `${name}.bin`), shardBytes(name));
  const manifest = modelJson.weightsManifest.map((g) => ({ ...g, paths: g.paths.map((p) => `${p}.bin`) }));
  fs.writeFileSync(path.join(staging, 'model.json'), JSON.stringify({ ...modelJson, weightsManifest: manifest }));
  try {
    fs.renameSync(staging, dir);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(file)) throw e; // lost a race with another writer: theirs is as good
  }
  return file;
}
