/**
 * The AMCT flow for one model of the report: createQuantConfig (with the variant's
 * skipped layers and activation algorithm) → quantizeModel → calibrate on the model's
 * calibration crops → saveModel. Batches hold at most `maxBatch` crops, so batch_num is
 * however many batches the 32 crops make.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as amct from '../../src';
import { ModelSpec } from './models';
import { cropBatch } from './photos';

export interface Variant {
  /** Layers left in float (AMCT's skip_layers). */
  skipLayers?: string[];
  /** Activation calibration of every layer: IFMR (AMCT's default) or HFMG. */
  actAlgo?: 'ifmr' | 'hfmg';
  /** IFMR's max_percentile and min_percentile (default 0.999999); 1 keeps the extremes. */
  percentile?: number;
  /** DMQ balancer migration strength α on every layer with weights (createQuantConfig's dmqBalancerParam). */
  dmqBalancer?: number;
  /** DMQ balancer α per layer (applied after dmqBalancer), with setDmqBalancerParam. */
  dmqLayers?: Record<string, number>;
}

export interface QuantizedFiles {
  model: string;
  config: string;
  record: string;
  quantizedPb: string;
  quantJson: string;
  layers: string[];
}

/** Same crops, same order, split into runs of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

export async function batchOf(spec: ModelSpec, crops: Parameters<typeof cropBatch>[0]): Promise<amct.FeedValue> {
  const [h, w] = spec.sample;
  const batch = await cropBatch(crops, h, w, spec.toInput);
  return spec.inputDtype === 'int32' ? { data: Int32Array.from(batch.data, Math.round), shape: batch.shape, dtype: 'int32' } : batch;
}

type LayerConfig = { activation_quant_params?: Record<string, unknown> };

/** Rewrites every enabled layer's activation parameters in the config createQuantConfig wrote. */
async function editActivations(configFile: string, edit: (act: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const config = JSON.parse(await fs.promises.readFile(configFile, 'utf8')) as Record<string, unknown>;
  for (const value of Object.values(config)) {
    const layer = value as LayerConfig | null;
    if (layer?.activation_quant_params) layer.activation_quant_params = edit(layer.activation_quant_params);
  }
  await fs.promises.writeFile(configFile, JSON.stringify(config, null, 4) + '\n');
}

/** HFMG takes none of IFMR's keys, so the parameters are replaced whole. */
const toHfmg = (act: Record<string, unknown>) => ({ num_bits: 8, act_algo: 'hfmg', num_of_bins: 4096, asymmetric: act.asymmetric ?? true });

async function calibrate(spec: ModelSpec, graph: amct.Graph, backend: amct.BackendName | undefined): Promise<void> {
  const session = await amct.Session.create(graph, { backend });
  try {
    for (const crops of chunks(spec.calibration(), spec.maxBatch)) {
      await session.run(spec.outputs, { [spec.input]: await batchOf(spec, crops) });
    }
  } finally {
    session.dispose();
  }
}

export async function quantize(spec: ModelSpec, outDir: string, backend: amct.BackendName | undefined, variant: Variant = {}): Promise<QuantizedFiles> {
  fs.mkdirSync(outDir, { recursive: true });
  const model = await spec.model(outDir);
  const savePath = path.join(outDir, spec.name);
  const config = path.join(outDir, 'config.json');
  const record = path.join(outDir, 'record.txt');
  const batchNum = Math.ceil(spec.calibration().length / spec.maxBatch);

  const graph = await amct.loadGraph(model);
  await amct.createQuantConfig(config, graph, { skipLayers: variant.skipLayers ?? [], batchNum, dmqBalancerParam: variant.dmqBalancer });
  for (const [layer, alpha] of Object.entries(variant.dmqLayers ?? {})) {
    const tmp = `${config}.tmp.json`;
    await amct.setDmqBalancerParam(config, tmp, [layer], alpha);
    await fs.promises.rename(tmp, config);
  }
  if (variant.actAlgo === 'hfmg') await editActivations(config, toHfmg);
  else if (variant.percentile !== undefined) await editActivations(config, (act) => ({ ...act, max_percentile: variant.percentile, min_percentile: variant.percentile }));
  await amct.quantizeModel(graph, config, record);
  await calibrate(spec, graph, backend);
  const saved = await amct.saveModel(model, spec.outputs, record, savePath);
  return { model, config, record, quantizedPb: saved.quantizedPb, quantJson: saved.quantJson, layers: saved.layers };
}
