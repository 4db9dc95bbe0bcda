/**
 * saveModel / convertModel (SPEC §1, §6): the deployable INT8 graph of a float model.
 *
 *   read the ORIGINAL model → refuse one already holding calibration or Ascend ops →
 *   check outputs → read the record → the same fusions quantizeModel made (do_fusion,
 *   minus the layers whose record says skip_fusion) → find layers → map record keys to
 *   them → plan every layer (all numbers; a bad record fails before any edit) → emit →
 *   give outputs their names back → validate → write `<savePath>_quantized.pb` and
 *   `<savePath>_quant.json`, each atomically. The input files are never written.
 *
 * saveModel takes the record the calibration wrote, and refuses it (RECORD_STALE) while a
 * calibration quantizeModel started on it has not finished; convertModel takes one the
 * user wrote by hand and skips that check. They share everything else but the wording of errors.
 */
import { webcrypto } from 'crypto';
import * as path from 'path';
import { AmctError, describe, QuantizeError } from '../errors';
import type { Graph } from '../ir';
import { readDeferred } from '../ir/tensor-lazy';
import { assertNotInput, assertWritableTarget, encodeGraphDef, loadGraph } from '../io';
import { writeFilesAtomic } from '../io/atomic';
import { log } from '../log';
import { assertRecordFresh, readMarker, readRecord } from '../record';
import { buildDeployable, refuseQuantized } from './deployable';
import { checkOutputs } from './save-outputs';
import type { SaveMode } from './save-record';

export interface SaveModelResult {
  /** `<savePath>_quantized.pb`, absolute. */
  quantizedPb: string;
  /** `<savePath>_quant.json`, absolute. */
  quantJson: string;
  /** Quantized layers (node names, as in the record), in graph order. */
  layers: string[];
  /** Record keys used, layer names and `name:input_index` of tensor quantization. */
  recordKeys: string[];
  /** The graph as written to quantizedPb. */
  graph: Graph;
}

function checkPathArg(mode: SaveMode, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new QuantizeError('INVALID_ARGUMENT', `${name} of ${mode} must be a non-empty path`, { hint: `got ${JSON.stringify(value)}` });
  }
  return value;
}

/** Slash-separated path from the folder of `from` to `to`, so the map survives moving the folder. */
function relativeTo(from: string, to: string): string {
  return path.relative(path.dirname(from), to).split(path.sep).join('/');
}

/**
 * Writes the two files as a pair: both outputs are checked (nothing is written if either
 * is refused, e.g. a folder or a device), both temps are written and flushed, then
 * `_quant.json` is renamed into place, then `_quantized.pb`. What a reader sees if the
 * process dies: before the first rename, the old pair (or nothing); between them, the new
 * `_quant.json` beside the old `.pb`, which the json's `quantized_model_sha256` does not
 * match, so the mismatch is detectable; after the second, the new pair. Temps a killed
 * writer left are removed by the next write to the folder.
 */
async function writePair(graph: Graph, quantizedPb: string, quantJson: string, json: object, inputs: string[]): Promise<void> {
  let pb: Uint8Array;
  try {
    pb = encodeGraphDef(graph);
  } catch (e) {
    if (!(e instanceof AmctError)) throw e;
    throw new QuantizeError(e.code, e.detail, { file: quantizedPb, node: e.node, hint: e.hint, cause: e });
  }
  // Hashed on libuv's threads (WebCrypto) while the .pb's temp is written and flushed; the json's follows the
  // hash. (encodeGraphDef's bytes sit in a plain ArrayBuffer, as digest's type wants.)
  const text = webcrypto.subtle.digest('SHA-256', pb as Uint8Array<ArrayBuffer>).then(
    (hash) => JSON.stringify({ ...json, quantized_model_sha256: Buffer.from(hash).toString('hex') }, null, 2) + '\n',
    (e) => {
      throw new QuantizeError('FILE_WRITE_FAILED', `cannot hash ${quantizedPb} for ${quantJson}: ${describe(e)}`, { file: quantJson, hint: 'nothing was written; run saveModel again', cause: e });
    },
  );
  await writeFilesAtomic([{ target: quantJson, data: text }, { target: quantizedPb, data: pb }], { inputs });
}

async function writeDeployable(mode: SaveMode, pbModel: unknown, outputs: unknown, recordFile: unknown, savePath: unknown): Promise<SaveModelResult> {
  const model = checkPathArg(mode, 'pb_model', pbModel);
  const record = checkPathArg(mode, 'record_file', recordFile);
  const base = checkPathArg(mode, 'save_path', savePath);
  const quantizedPb = path.resolve(`${base}_quantized.pb`);
  const quantJson = path.resolve(`${base}_quant.json`);
  for (const out of [quantizedPb, quantJson]) assertWritableTarget(out, [model, record]); // before any work: a folder, device or FIFO is refused

  // The record is read while the model is, unless a calibration is in flight on it: then only after
  // assertRecordFresh below (an early read could take the old record the calibration is about to replace).
  // Its problems are reported after the model's.
  const early = mode === 'convert_model' || readMarker(path.resolve(record)) === null ? readRecord(record) : undefined;
  early?.catch(() => undefined); // awaited below, unless the model fails first
  // Read once and dropped: the float weights are quantized from the file's bytes, never copied out (ir/tensor-lazy.ts).
  const loaded = await loadGraph(model, { deferContent: true });
  const inputs = [...(loaded.meta.sourceFiles ?? []), path.resolve(record)];
  for (const out of [quantizedPb, quantJson]) assertNotInput(out, inputs);
  // The model's own problems are reported before the record's (buildDeployable checks again, cheaply).
  refuseQuantized(mode, loaded, model);
  checkOutputs(mode, loaded, outputs, model);
  // A calibration quantizeModel started and that has not written its record yet makes the record stale.
  if (mode === 'save_model') assertRecordFresh(path.resolve(record));
  const records = await (early ?? readRecord(record));
  const { graph, plans, quantJson: buildJson } = buildDeployable(mode, loaded, outputs, records, { model, record });
  const json = buildJson({
    sourceModel: relativeTo(quantJson, path.resolve(model)),
    recordFile: relativeTo(quantJson, path.resolve(record)),
    quantizedModel: relativeTo(quantJson, quantizedPb),
    outputs: outputs as string[],
  });
  await writePair(graph, quantizedPb, quantJson, json, inputs);
  // The Consts saveModel did not replace still read the model file's bytes: copy them out,
  // so the returned graph does not keep the whole file (nsfwjs: 16.5 MB for ~0.1 MB of them).
  for (const node of graph.nodes()) readDeferred(Object.values(node.attr));
  log.info(`${mode}: quantized ${plans.length} layers of ${model}; wrote ${quantizedPb} and ${quantJson}`);
  return {
    quantizedPb,
    quantJson,
    layers: plans.map((p) => p.layer.name),
    recordKeys: plans.flatMap((p) => p.activations.map((a) => a.key)),
    graph,
  };
}

/**
 * AMCT's save_model(pb_model, outputs, record_file, save_path): the deployable model of
 * the original float model, from the record the calibration wrote.
 */
export async function saveModel(pbModel: string, outputs: string[], recordFile: string, savePath: string): Promise<SaveModelResult> {
  return writeDeployable('save_model', pbModel, outputs, recordFile, savePath);
}

/**
 * AMCT's convert_model(pb_model, outputs, record_file, save_path): the same deployable
 * model from a record the user wrote (scale_d/offset_d per layer, scale_w per weight).
 */
export async function convertModel(pbModel: string, outputs: string[], recordFile: string, savePath: string): Promise<SaveModelResult> {
  return writeDeployable('convert_model', pbModel, outputs, recordFile, savePath);
}
