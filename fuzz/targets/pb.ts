/**
 * Frozen GraphDef (.pb): mutated copies of the MNIST example and of human models
 * re-encoded as .pb are loaded, validated, configured and saved again (.pb and model.json).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { createQuantConfig } from '../../src/api';
import { loadGraph, saveGraph } from '../../src/io';
import { withInputs } from '../inputs';
import { BYTE_MUTATIONS } from '../mutate';
import { mutatePbMessage } from '../pb-message';
import { positionsOf } from '../pb-structure';
import { int, pick } from '../rng';
import { pbSeedList } from '../seeds';
import type { FuzzTarget } from '../target';

let positions: number[][] = [];

export function mutatePb(rand: () => number): Uint8Array {
  const seeds = pbSeedList();
  const k = int(rand, seeds.length);
  if (rand() < 0.5) return mutatePbMessage(seeds[k], rand);
  let bytes = seeds[k];
  for (let n = 1 + int(rand, 2); n > 0; n--) bytes = pick(rand, Object.values(BYTE_MUTATIONS))(bytes, rand, bytes === seeds[k] ? positions[k] : undefined);
  return bytes;
}

export const pbTarget: FuzzTarget = {
  name: 'pb',
  async setup() {
    positions = pbSeedList().map(positionsOf);
  },
  async runCase(rand, _index, dir) {
    const bytes = mutatePb(rand);
    const action = int(rand, 3);
    await withInputs(dir, { 'model.pb': bytes }, async ({ 'model.pb': file }) => {
      const graph = await loadGraph(file); // validates
      graph.topologicalOrder();
      if (action === 0) await createQuantConfig(path.join(dir, 'quant.json'), graph);
      await saveGraph(graph, path.join(dir, 'out.pb'));
      if (action === 1) {
        await fs.mkdir(path.join(dir, 'tfjs'));
        await saveGraph(graph, path.join(dir, 'tfjs', 'model.json'));
      }
    });
  },
};
