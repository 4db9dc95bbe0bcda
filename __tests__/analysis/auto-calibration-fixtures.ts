/**
 * Evaluators and models for the accuracyBasedAutoCalibration tests: a real evaluator
 * (cosine of an output against the float model's), a fake one whose metric is decided by
 * which layers its calibration graph quantizes, and a small chain of convolutions.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createQuantConfig, Session, loadGraph } from '../../src';
import type { AutoCalibrationEvaluator } from '../../src/analysis/auto-calibration-evaluator';
import { TRIAL_FOLDER_PREFIX } from '../../src/analysis/auto-calibration-files';
import { attrString } from '../../src/ir';
import type { Graph } from '../../src/ir';
import { GraphBuilder } from '../helpers/graph-builders';
import { cosine, FeedMap, tmpDir, writeModel } from '../api/save-fixtures';

/** Trial folders this process left in the temp folder (it must leave none; other processes may be running). */
export function leftoverTrialFolders(): string[] {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`${TRIAL_FOLDER_PREFIX}${process.pid}-`));
}

/** Runs `feeds` through `graph` and returns `output` of each, in order. */
export async function outputsOf(graph: Graph, output: string, feeds: FeedMap[]): Promise<Float32Array[]> {
  const session = await Session.create(graph, { backend: 'cpu' });
  try {
    const out: Float32Array[] = [];
    for (const f of feeds) out.push((await session.run(output, f)).data as Float32Array);
    return out;
  } finally {
    session.dispose();
  }
}

/** Runs every calibration batch through the calibration graph, as a user's loop does. */
export async function runCalibration(graph: Graph, outputs: string[], feeds: FeedMap[]): Promise<void> {
  const session = await Session.create(graph, { backend: 'cpu' });
  try {
    for (const f of feeds) await session.run(outputs, f);
  } finally {
    session.dispose();
  }
}

/**
 * The evaluator a user writes for a regression or score output: the mean cosine of
 * `output` against the float model's on held-out batches; accepted at `target`.
 */
export function cosineEvaluator(output: string, calibration: FeedMap[], heldOut: FeedMap[], reference: Float32Array[], target: number): AutoCalibrationEvaluator & { evaluated: number } {
  return {
    evaluated: 0,
    async calibration(graph, outputs) {
      await runCalibration(graph, outputs, calibration);
    },
    async evaluate(graph) {
      this.evaluated++;
      const got = await outputsOf(graph, output, heldOut);
      return got.reduce((s, g, i) => s + cosine(reference[i], g), 0) / got.length;
    },
    metricEval: (original, current) => [current >= target, original - current],
  };
}

/** Layers a calibration graph quantizes: the layer_name of its QuantIfmr/QuantHfmg nodes. */
export function quantizedLayersOf(graph: Graph): Set<string> {
  return new Set(graph.nodes().filter((n) => n.op === 'QuantIfmr' || n.op === 'QuantHfmg').map((n) => attrString(n, 'layer_name')));
}

/**
 * A fake evaluator with a known answer: every layer of `bad` left INT8 costs 0.1 of the
 * metric (float = 1); accepted when the loss is at most 0.05, so exactly the models with
 * every bad layer in float pass. It still runs the user's loop, so the record is real.
 */
export function knownAnswerEvaluator(bad: string[], calibration: FeedMap[]) {
  let quantized = new Set<string>();
  let sawFloat = false;
  const evaluator = {
    evaluated: 0,
    async calibration(graph: Graph, outputs: string[]) {
      quantized = quantizedLayersOf(graph);
      await runCalibration(graph, outputs, calibration);
    },
    async evaluate(graph: Graph) {
      evaluator.evaluated++;
      const isFloat = !graph.nodes().some((n) => n.op === 'AscendQuant');
      if (isFloat) sawFloat = true;
      return isFloat ? 1 : 1 - 0.1 * bad.filter((l) => quantized.has(l)).length;
    },
    metricEval: (original: number, current: number): [boolean, number] => [original - current <= 0.05, original - current],
    get sawFloat() {
      return sawFloat;
    },
  };
  return evaluator;
}

/** conv1 → relu → conv2 → ... → convL: L quantizable layers on a 4×4×3 input, output "out". */
export function convChain(layers: number, seed = 3): GraphBuilder {
  const b = new GraphBuilder(seed);
  let x = b.input('input', [1, 4, 4, 3]);
  for (let i = 1; i <= layers; i++) x = b.unary(i === layers ? 'out' : `relu${i}`, 'Relu', b.conv2d(`conv${i}`, x, [1, 1, 3, 3]));
  return b;
}

export interface FlowFiles {
  dir: string;
  model: string;
  config: string;
  record: string;
  saveDir: string;
}

/** The model as a .pb and its config (createQuantConfig, `batchNum`) in a new temp folder. */
export async function writeFlowInputs(graph: Graph, batchNum: number): Promise<FlowFiles> {
  const dir = tmpDir();
  const model = await writeModel(graph, dir);
  const config = path.join(dir, 'config.json');
  await createQuantConfig(config, await loadGraph(model), { batchNum });
  fs.mkdirSync(path.join(dir, 'out'));
  return { dir, model, config, record: path.join(dir, 'record.txt'), saveDir: path.join(dir, 'out', 'model') };
}

/** The bytes of `files` (base64), to prove the flow left its inputs alone. */
export function snapshot(files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, fs.readFileSync(f).toString('base64')]));
}
