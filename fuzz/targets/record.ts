/**
 * The scale/offset record (protobuf text): a record for MNIST and the fixtures, mutated
 * as text, read with MNIST's layers, and sometimes used by convertModel on MNIST.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { convertModel } from '../../src/api';
import { readRecord } from '../../src/record';
import { withInputs } from '../inputs';
import { mnistSeeds } from '../mnist';
import type { MnistSeeds } from '../mnist';
import { TEXT_MUTATIONS } from '../mutate';
import { int, pick } from '../rng';
import { MNIST_PB, recordSeeds } from '../seeds';
import type { FuzzTarget } from '../target';

let mnist: MnistSeeds;

export const recordTarget: FuzzTarget = {
  name: 'record',
  async setup() {
    mnist = await mnistSeeds();
  },
  async runCase(rand, _index, dir) {
    let text = pick(rand, [mnist.record, mnist.record, ...recordSeeds()]);
    for (let n = 1 + int(rand, 2); n > 0; n--) text = pick(rand, Object.values(TEXT_MUTATIONS))(text, rand);
    const convert = int(rand, 4) === 0;
    await withInputs(dir, { 'record.txt': text }, async ({ 'record.txt': file }) => {
      if (convert) await fs.mkdir(path.join(dir, 'out'));
      if (convert) await convertModel(MNIST_PB, ['output'], file, path.join(dir, 'out', 'mnist'));
      else await readRecord(file, { layers: mnist.layers });
    });
  },
};
