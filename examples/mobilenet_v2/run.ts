/**
 * `npx ts-node --transpile-only examples/mobilenet_v2/run.ts [--out DIR] [--backend wasm|cpu|tfjs-node] [--batch-num N]`
 * Prints what AMCT's mobilenet_v2_calibration.py prints, then the held-out comparison.
 */
import * as path from 'path';
import { parseArgs } from 'util';
import * as amct from '../../src';
import { Prediction, runMobilenetV2Example } from './mobilenet-v2';

function show(title: string, p: Prediction): void {
  console.log(`${title}:\n\tcategory index: ${p.index} (${p.label})\n\tcategory prob: ${p.prob.toFixed(3)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, backend: { type: 'string' }, 'batch-num': { type: 'string' } } });
  const outDir = path.resolve(values.out ?? path.join('out', 'mobilenet_v2'));
  const batchNum = values['batch-num'] === undefined ? undefined : Number(values['batch-num']);
  amct.setLoggingLevel('info', 'info');
  const r = await runMobilenetV2Example({
    outDir,
    backend: values.backend as amct.BackendName | undefined,
    batchNum,
    say: (line) => console.log(`INFO - [AMCT]:${line}`),
  });
  show('Origin Model Prediction', r.origin);
  show('Quantized Model Prediction', r.quantized);
  const h = r.heldOut;
  console.log(`Held-out inputs: ${h.count}; top-1 agreement ${(100 * h.top1Agreement).toFixed(1)}%; output cosine mean ${h.meanCosine.toFixed(5)}, min ${h.minCosine.toFixed(5)}`);
  console.log(`Quantized layers: ${r.quantizedLayers.length}; calibration ${r.seconds.calibration.toFixed(1)} s, save ${r.seconds.save.toFixed(1)} s, total ${r.seconds.total.toFixed(1)} s`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  process.exit(1);
});
