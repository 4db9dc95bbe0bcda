/**
 * The README's main job: quantize the embedded MNIST CNN to INT8 end to end and report
 * what happened. `npm run demo -- --out DIR --backend cpu` picks the folder and backend.
 */
import * as path from 'path';
import { parseArgs } from 'util';
import { runMnistQuantization } from './mnist/quantize';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, backend: { type: 'string' } } });
  const outDir = path.resolve(values.out ?? path.join('out', 'mnist-demo'));
  const backend = values.backend as 'wasm' | 'cpu' | 'tfjs-node' | undefined;
  console.log(`amct-ts demo: MNIST CNN → INT8 (outputs in ${outDir})`);
  const r = await runMnistQuantization({ outDir, backend, say: (line) => console.log(`  ${line}`) });
  console.log(`\nLayers quantized (${r.quantizedLayers.length}):`);
  for (const layer of r.quantizedLayers) console.log(`  ${layer}`);
  console.log(`\nTop-1 accuracy on ${r.evaluated} labeled digits: float ${pct(r.floatAccuracy)}, INT8 ${pct(r.int8Accuracy)} (Δ ${(100 * (r.int8Accuracy - r.floatAccuracy)).toFixed(2)} points)`);
  console.log(`  held-out ${r.heldOutCount} (never trained on): float ${pct(r.floatHeldOut)}, INT8 ${pct(r.int8HeldOut)}`);
  console.log(`Model size: float ${kb(r.floatBytes)} → INT8 ${kb(r.int8Bytes)} (${(r.floatBytes / r.int8Bytes).toFixed(2)}× smaller)`);
  console.log(`Time: calibration ${r.seconds.calibration.toFixed(1)} s, save ${r.seconds.save.toFixed(1)} s, evaluation ${r.seconds.evaluation.toFixed(1)} s, total ${r.seconds.total.toFixed(1)} s`);
  console.log('\nFiles:');
  for (const f of Object.values(r.files)) {
    const rel = path.relative(process.cwd(), f);
    console.log(`  ${rel.startsWith('..') ? f : rel}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  process.exit(1);
});
