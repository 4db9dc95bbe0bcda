/**
 * Files of accuracyBasedAutoCalibration (SPEC §9). Outputs, next to `saveDir` as AMCT
 * writes them: `<saveDir>_quantized.pb`, `<saveDir>_quant.json`, the final record, and
 * in saveDir's folder accuracy_based_auto_calibration_final_config.json and
 * accuracy_based_auto_calibration_ranking_information.json. Every path is checked
 * against the inputs (model, its weight shards, config) before the first evaluation, so
 * a long search never ends in OUTPUT_WOULD_OVERWRITE_INPUT; trial configs and records
 * live in a temp folder that is removed at the end, whatever happens.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileFormatError } from '../errors';
import { assertNotInput } from '../io';

export const FINAL_CONFIG_NAME = 'accuracy_based_auto_calibration_final_config.json';
export const RANKING_NAME = 'accuracy_based_auto_calibration_ranking_information.json';
export const TRIAL_FOLDER_PREFIX = 'amct-ts-auto-calibration-';

export interface AutoCalibrationPaths {
  quantizedPb: string;
  quantJson: string;
  recordFile: string;
  finalConfig: string;
  ranking: string;
}

export function outputPaths(saveDir: string, recordFile: string): AutoCalibrationPaths {
  const dir = path.dirname(path.resolve(saveDir));
  return {
    quantizedPb: path.resolve(`${saveDir}_quantized.pb`),
    quantJson: path.resolve(`${saveDir}_quant.json`),
    recordFile: path.resolve(recordFile),
    finalConfig: path.join(dir, FINAL_CONFIG_NAME),
    ranking: path.join(dir, RANKING_NAME),
  };
}

/** Refuses outputs that are inputs, and folders that do not exist, before any work. */
export async function checkOutputs(paths: AutoCalibrationPaths, inputs: readonly string[]): Promise<void> {
  const all = Object.values(paths);
  for (const out of all) assertNotInput(out, inputs);
  for (const dir of new Set(all.map((p) => path.dirname(p)))) {
    const stat = await fs.promises.stat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) {
      throw new FileFormatError('FILE_WRITE_FAILED', `the output folder ${dir} does not exist`, {
        file: dir,
        hint: 'create the folder of save_dir and record_file first',
      });
    }
  }
}

/** A temp folder for the trials' configs, records and models; `dispose` removes it. */
export class TrialFolder {
  private count = 0;

  private constructor(readonly root: string) {}

  static async create(): Promise<TrialFolder> {
    // The pid says which process a folder left by a killed run belonged to.
    return new TrialFolder(await fs.promises.mkdtemp(path.join(os.tmpdir(), `${TRIAL_FOLDER_PREFIX}${process.pid}-`)));
  }

  /** A new empty folder for one trial, named after it for whoever looks while it runs. */
  async next(label: string): Promise<string> {
    const dir = path.join(this.root, `${String(this.count++).padStart(2, '0')}-${label.replace(/[^A-Za-z0-9=-]+/g, '_')}`);
    await fs.promises.mkdir(dir);
    return dir;
  }

  async dispose(): Promise<void> {
    await fs.promises.rm(this.root, { recursive: true, force: true });
  }
}

/** The config JSON with `floatLayers` switched off ("quant_enable": false), all else as the user wrote it. */
export function configWithFloatLayers(config: Record<string, unknown>, floatLayers: readonly string[]): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, Record<string, unknown>>;
  for (const layer of floatLayers) copy[layer] = { ...copy[layer], quant_enable: false };
  return copy;
}
