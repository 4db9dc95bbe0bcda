/**
 * Real inputs the mutations start from: the MNIST example model, @vladmandic/human models
 * (as model.json + shard, and re-encoded as .pb), and the config and record fixtures.
 * Read once per process; every case mutates a copy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { encodeGraphDef, graphFromArtifacts } from '../src/io';
import { MAX_INPUT_BYTES } from './mutate';

const ROOT = path.join(__dirname, '..');
const HUMAN_DIR = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
const FIXTURES = path.join(ROOT, '__tests__', 'fixtures');

/** Small human models: plain float32 (emotion, liveness) and float16-stored weights (antispoof). */
const HUMAN_SEEDS = ['emotion', 'liveness', 'antispoof'];

export interface ModelJsonSeed {
  name: string;
  json: string;
  shard: Uint8Array;
  /** The shard's name in the manifest. */
  shardName: string;
}

let modelJsonSeeds: ModelJsonSeed[] | undefined;
let pbSeeds: Uint8Array[] | undefined;

export function modelJsonSeedList(): ModelJsonSeed[] {
  modelJsonSeeds ??= HUMAN_SEEDS.map((name) => {
    const json = fs.readFileSync(path.join(HUMAN_DIR, `${name}.json`), 'utf8');
    const shardName = (JSON.parse(json) as { weightsManifest: { paths: string[] }[] }).weightsManifest[0].paths[0];
    return { name, json, shard: new Uint8Array(fs.readFileSync(path.join(HUMAN_DIR, shardName))), shardName };
  });
  return modelJsonSeeds;
}

export const MNIST_PB = path.join(ROOT, 'examples', 'mnist', 'model', 'mnist_cnn.pb');

export function pbSeedList(): Uint8Array[] {
  pbSeeds ??= [
    new Uint8Array(fs.readFileSync(MNIST_PB)),
    // re-encoded human models of at most 1 MiB (antispoof's float16 weights become 1.7 MB of float32)
    ...modelJsonSeedList().map((s) => encodeGraphDef(graphFromArtifacts(JSON.parse(s.json), s.shard, { file: s.name }))).filter((b) => b.length <= MAX_INPUT_BYTES),
  ];
  return pbSeeds;
}

export function configJsonSeeds(): string[] {
  return ['default.json', 'full.json'].map((f) => fs.readFileSync(path.join(FIXTURES, 'config', f), 'utf8'));
}

export function cfgSeeds(): string[] {
  return ['full.cfg', 'spec-example.cfg'].map((f) => fs.readFileSync(path.join(FIXTURES, 'config', f), 'utf8'));
}

export function recordSeeds(): string[] {
  return ['multi-layer.txt', 'spec-example.txt'].map((f) => fs.readFileSync(path.join(FIXTURES, 'record', f), 'utf8'));
}

