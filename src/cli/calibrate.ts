/**
 * The calibration command's flow, AMCT's sample script as one function:
 * load model → createQuantConfig → quantizeModel → batch_num × session.run → saveModel.
 * The SDK functions come in as `deps` so the flow is testable without tfjs.
 *
 * Everything that can be checked without running is checked before the first file is
 * written (inputs, batch_num × batch size against the samples, names against the graph);
 * a failure after that removes the files this run created.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readConfigDefinition } from '../config';
import { CalibrationError } from '../errors';
import { MARKER_SUFFIX } from '../record/calibration-mark';
import type { Graph } from '../ir';
import { CalibrationDeps, SessionLike, disposeResult } from './deps';
import { PreparedInput, checkAgainstGraph, checkOutputs, countSamples, feedBatches, prepareInput } from './inputs';
import type { CalibrationOptions } from './options';
import { ProgressBar, TextSink } from './progress';

export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  /** Whether stderr is a terminal (progress redraws in place). */
  isTTY: boolean;
}

export interface CalibrationSummary {
  batches: number;
  batchSizes: number[];
  layersQuantized?: number;
  layersTotal?: number;
  configFile: string;
  recordFile: string;
  filesWritten: string[];
}

export async function runCalibration(options: CalibrationOptions, deps: CalibrationDeps, io: CliIO): Promise<CalibrationSummary> {
  const started = Date.now();
  const inputs: PreparedInput[] = [];
  for (const spec of options.inputs) inputs.push(await prepareInput(spec, options));
  const planned = await plannedBatchNum(options, io);
  await checkEnoughData(inputs, planned);
  const graph = await deps.loadGraph(options.model);
  checkOutputs(graph, options.outputs);
  checkAgainstGraph(graph, inputs);
  const created = await trackCreatedFiles(options.savePath);
  try {
    return await calibrateAndSave(options, deps, io, { graph, inputs, planned, started });
  } catch (e) {
    created.removeNew();
    throw e;
  }
}

interface Prepared {
  graph: Graph;
  inputs: PreparedInput[];
  planned: number;
  started: number;
}

async function calibrateAndSave(options: CalibrationOptions, deps: CalibrationDeps, io: CliIO, p: Prepared): Promise<CalibrationSummary> {
  const { graph, inputs, started } = p;
  const configFile = `${options.savePath}_config.json`;
  const recordFile = `${options.savePath}_record.txt`;
  await deps.createQuantConfig(configFile, graph, { batchNum: options.batchNum, configDefinition: options.calibrationConfig });
  const batchNum = resolveBatchNum(options, readConfig(configFile), p.planned);
  if (batchNum !== p.planned) await checkEnoughData(inputs, batchNum);
  // Fusion may move a fetched output (a BN folded away): fetch what quantizeModel says.
  const { calibOutputs } = await deps.quantizeModel(graph, configFile, recordFile, { calibOutputs: options.outputs });

  const session = await deps.createSession(graph, { backend: options.backend });
  try {
    await calibrate(session, inputs, calibOutputs, batchNum, io);
  } finally {
    await session.dispose?.();
  }
  await deps.saveModel(options.model, options.outputs, recordFile, options.savePath);

  const layers = countLayers(readConfig(configFile));
  const summary: CalibrationSummary = {
    batches: batchNum,
    batchSizes: inputs.map((i) => i.batchSize),
    ...layers,
    configFile,
    recordFile,
    filesWritten: filesWrittenSince(options.savePath, started),
  };
  io.stdout.write(formatSummary(summary));
  return summary;
}

type ConfigJson = Record<string, unknown> | undefined;

/** The written config is JSON whose layout SPEC §3 fixes; reading it back avoids guessing what a .cfg said. */
function readConfig(file: string): ConfigJson {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The batches to calibrate, known before anything is written: a .cfg's batch_num wins over
 * --batch_num (the record is complete only after the config's batch_num batches).
 */
async function plannedBatchNum(options: CalibrationOptions, io: CliIO): Promise<number> {
  if (options.calibrationConfig === undefined) return options.batchNum;
  const fromCfg = (await readConfigDefinition(options.calibrationConfig)).batchNum;
  if (fromCfg === undefined) return options.batchNum;
  if (options.batchNumGiven && fromCfg !== options.batchNum) {
    io.stderr.write(`amct-ts: warning: --batch_num ${options.batchNum} differs from batch_num ${fromCfg} of --calibration_config; calibrating ${fromCfg} batches\n`);
  }
  return fromCfg;
}

/** The config written is the authority; it agrees with the plan unless the .cfg was changed meanwhile. */
function resolveBatchNum(options: CalibrationOptions, config: ConfigJson, planned: number): number {
  const fromConfig = config?.batch_num;
  if (typeof fromConfig !== 'number' || !Number.isInteger(fromConfig) || fromConfig <= 0) return planned;
  return fromConfig;
}

/**
 * The files a run writes under --save_path (and its folder, when missing). On failure,
 * those that did not exist before are removed; files the user had are never deleted.
 */
async function trackCreatedFiles(savePath: string): Promise<{ removeNew(): void }> {
  const dir = path.dirname(path.resolve(savePath));
  const outputs = ['_config.json', '_record.txt', `_record.txt${MARKER_SUFFIX}`, '_quantized.pb', '_quant.json'].map((s) => `${savePath}${s}`);
  const existed = new Set(outputs.filter((f) => fs.existsSync(f)));
  const madeDir = await fs.promises.mkdir(dir, { recursive: true });
  return {
    removeNew() {
      for (const f of outputs) if (!existed.has(f)) fs.rmSync(f, { force: true });
      if (madeDir !== undefined) {
        try {
          fs.rmdirSync(dir); // only when empty; the folders above it are left as they are
        } catch {
          // not empty: something else lives there
        }
      }
    },
  };
}

/** Fails before calibrating when the folders hold too few samples (counted without decoding: see countSamples). */
async function checkEnoughData(inputs: PreparedInput[], batchNum: number): Promise<void> {
  for (const input of inputs) {
    const have = await countSamples(input);
    const need = batchNum * input.batchSize;
    if (have < need) throw notEnoughData(input, have, need);
  }
}

function notEnoughData(input: PreparedInput, have: number, need: number): CalibrationError {
  return new CalibrationError('CALIBRATION_INCOMPLETE', `calibration data for input "${input.spec.name}" holds ${have} samples, but ${need / input.batchSize} batches of ${input.batchSize} need ${need}`, {
    file: input.spec.dataDir,
    hint: 'add calibration files, or lower --batch_num or --batch_size',
  });
}

async function calibrate(session: SessionLike, inputs: PreparedInput[], outputs: string[], batchNum: number, io: CliIO): Promise<void> {
  const bar = new ProgressBar(batchNum, io.stderr, { tty: io.isTTY, label: 'calibration' });
  try {
    let done = 0;
    for await (const feeds of feedBatches(inputs, batchNum, notEnoughData)) {
      disposeResult(await session.run(outputs, feeds));
      bar.update(++done);
    }
  } finally {
    bar.finish();
  }
}

function countLayers(config: ConfigJson): { layersQuantized?: number; layersTotal?: number } {
  if (!config) return {};
  const layers = Object.values(config).filter((v): v is { quant_enable: unknown } => !!v && typeof v === 'object' && 'quant_enable' in v);
  return { layersTotal: layers.length, layersQuantized: layers.filter((l) => l.quant_enable === true).length };
}

/** Outputs share the --save_path prefix; list those this run wrote rather than assume names. */
function filesWrittenSince(savePath: string, since: number): string[] {
  const dir = path.dirname(savePath);
  const prefix = `${path.basename(savePath)}_`;
  try {
    return fs.readdirSync(dir)
      .filter((n) => n.startsWith(prefix))
      .map((n) => path.join(dir, n))
      .filter((f) => fs.statSync(f).mtimeMs >= since - 1000)
      .sort();
  } catch {
    return [];
  }
}

export function formatSummary(s: CalibrationSummary): string {
  const lines = [`Calibrated ${s.batches} batch${s.batches === 1 ? '' : 'es'} of ${[...new Set(s.batchSizes)].join('/')} sample(s).`];
  if (s.layersTotal !== undefined) {
    const skipped = s.layersTotal - (s.layersQuantized ?? 0);
    lines.push(`Quantized ${s.layersQuantized} of ${s.layersTotal} layer(s)${skipped > 0 ? ` (${skipped} skipped by the config)` : ''}.`);
  }
  lines.push(s.filesWritten.length > 0 ? 'Files written:' : 'No output files found.');
  for (const f of s.filesWritten) lines.push(`  ${f}`);
  return lines.join('\n') + '\n';
}
