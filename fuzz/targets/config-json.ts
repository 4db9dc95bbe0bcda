/** The JSON quantization config: the MNIST config and the fixtures, mutated as values and as text, loaded against MNIST's layers. */
import { loadQuantConfig } from '../../src/config';
import { withInputs } from '../inputs';
import { mnistSeeds } from '../mnist';
import type { MnistSeeds } from '../mnist';
import { mutateJsonValue, stringifyOr, TEXT_MUTATIONS } from '../mutate';
import { int, pick } from '../rng';
import { configJsonSeeds } from '../seeds';
import type { FuzzTarget } from '../target';

let mnist: MnistSeeds;

function mutate(rand: () => number): string {
  const seed = pick(rand, [mnist.configJson, mnist.configJson, ...configJsonSeeds()]);
  if (int(rand, 2) === 0) {
    const value = JSON.parse(seed);
    mutateJsonValue(value, rand);
    return stringifyOr(value, seed);
  }
  return pick(rand, Object.values(TEXT_MUTATIONS))(seed, rand);
}

export const configJsonTarget: FuzzTarget = {
  name: 'config-json',
  async setup() {
    mnist = await mnistSeeds();
  },
  async runCase(rand, _index, dir) {
    const text = mutate(rand);
    await withInputs(dir, { 'config.json': text }, async ({ 'config.json': file }) => {
      await loadQuantConfig(file, mnist.layers);
    });
  },
};
