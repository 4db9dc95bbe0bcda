/** The MNIST example model, its layers, and a config and record for it: seeds of the config and record targets. */
import * as os from 'os';
import * as path from 'path';
import { promises as fs } from 'fs';
import { createQuantConfig } from '../src/api';
import type { Graph } from '../src/ir';
import { loadGraph } from '../src/io';
import { findLayers, prepareGraph } from '../src/passes';
import type { LayerCandidate } from '../src/passes';
import { formatRecord } from '../src/record';
import { MNIST_PB } from './seeds';

export interface MnistSeeds {
  graph: Graph;
  layers: LayerCandidate[];
  /** The config createQuantConfig writes for it. */
  configJson: string;
  /** A record with plausible values for every quantizable layer. */
  record: string;
}

let cached: Promise<MnistSeeds> | undefined;

async function build(): Promise<MnistSeeds> {
  const graph = await loadGraph(MNIST_PB);
  const work = graph.clone();
  prepareGraph(work);
  const layers = findLayers(work);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'amct-fuzz-mnist-'));
  try {
    await createQuantConfig(path.join(dir, 'config.json'), graph);
    const configJson = await fs.readFile(path.join(dir, 'config.json'), 'utf8');
    const record = formatRecord(
      layers.filter((l) => l.quantizable && l.kind !== 'tensor').map((l) => ({
        key: l.name, scaleD: 0.0235294122, offsetD: -128,
        scaleW: Array.from({ length: l.outputChannels ?? 1 }, (_, i) => 0.001 * (i + 1)),
        offsetW: Array.from({ length: l.outputChannels ?? 1 }, () => 0), shiftBit: [],
      })),
    );
    return { graph, layers, configJson, record };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function mnistSeeds(): Promise<MnistSeeds> {
  return (cached ??= build());
}
