/**
 * TensorFlow.js graph models (model.json + weight shard): human models with their
 * model.json mutated as JSON values or as text, their shard mutated as bytes, or their
 * manifest naming the shard differently (URL-encoded, missing, in another folder).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { loadGraph, saveGraph } from '../../src/io';
import { withInputs } from '../inputs';
import { BYTE_MUTATIONS, mutateJsonValue, stringifyOr, TEXT_MUTATIONS } from '../mutate';
import { int, pick } from '../rng';
import { modelJsonSeedList } from '../seeds';
import type { FuzzTarget } from '../target';

interface Files {
  json: string;
  shard: Uint8Array;
  /** The shard's file name on disk. */
  shardFile: string;
}

function renameShard(json: string, shardName: string, rand: () => number): { json: string; shardFile: string } {
  const m = JSON.parse(json) as { weightsManifest: { paths: string[] }[] };
  const [listed, onDisk] = pick(rand, [
    ['my%20shard.bin', 'my shard.bin'],
    ['sub%2Fshard.bin', 'sub/shard.bin'],
    ['%E4%B8%AD.bin', '中.bin'],
    ['bad%zzname.bin', 'bad%zzname.bin'],
    ['../escape.bin', shardName],
    ['', shardName],
  ]);
  m.weightsManifest[0].paths[0] = listed;
  return { json: JSON.stringify(m), shardFile: onDisk };
}

function mutate(rand: () => number): Files {
  const seed = pick(rand, modelJsonSeedList());
  const files: Files = { json: seed.json, shard: seed.shard, shardFile: seed.shardName };
  switch (int(rand, 5)) {
    case 0:
    case 1: {
      const value = JSON.parse(seed.json);
      mutateJsonValue(value, rand);
      files.json = stringifyOr(value, seed.json);
      break;
    }
    case 2:
      files.json = pick(rand, Object.values(TEXT_MUTATIONS))(seed.json, rand);
      break;
    case 3:
      files.shard = pick(rand, Object.values(BYTE_MUTATIONS))(seed.shard, rand);
      break;
    default:
      Object.assign(files, renameShard(seed.json, seed.shardName, rand));
  }
  return files;
}

export const modelJsonTarget: FuzzTarget = {
  name: 'model-json',
  async runCase(rand, _index, dir) {
    const files = mutate(rand);
    const action = int(rand, 2);
    await withInputs(dir, { 'in/model.json': files.json, [path.join('in', files.shardFile)]: files.shard }, async (paths) => {
      const graph = await loadGraph(paths['in/model.json']); // validates
      if (action === 0) await saveGraph(graph, path.join(dir, 'out.pb'));
      else {
        await fs.mkdir(path.join(dir, 'out'));
        await saveGraph(graph, path.join(dir, 'out', 'model.json'));
      }
    });
  },
};
