/** The simplified config (.cfg, protobuf text): fixtures mutated as text, used by createQuantConfig on MNIST. */
import * as path from 'path';
import { createQuantConfig } from '../../src/api';
import { withInputs } from '../inputs';
import { mnistSeeds } from '../mnist';
import type { MnistSeeds } from '../mnist';
import { TEXT_MUTATIONS } from '../mutate';
import { int, pick } from '../rng';
import { cfgSeeds } from '../seeds';
import type { FuzzTarget } from '../target';

let mnist: MnistSeeds;

export const cfgTarget: FuzzTarget = {
  name: 'cfg',
  async setup() {
    mnist = await mnistSeeds();
  },
  async runCase(rand, _index, dir) {
    let text = pick(rand, cfgSeeds());
    for (let n = 1 + int(rand, 2); n > 0; n--) text = pick(rand, Object.values(TEXT_MUTATIONS))(text, rand);
    await withInputs(dir, { 'quant.cfg': text }, async ({ 'quant.cfg': file }) => {
      await createQuantConfig(path.join(dir, 'config.json'), mnist.graph, { configDefinition: file });
    });
  },
};
