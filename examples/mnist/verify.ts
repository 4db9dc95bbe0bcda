/**
 * Export step of train.ts: writes the frozen graph, reads it back with loadGraph and runs
 * it with the SDK's Session over all 10,000 digits; the probabilities must match the
 * trained tfjs model's within MAX_ABS_DIFF, or the export is reported as broken.
 */
import { statSync } from 'fs';
import * as path from 'path';
import { loadGraph, saveGraph } from '../../src/io';
import { Session } from '../../src/runtime';
import type { Digits } from './data';
import { evaluateAccuracy } from './evaluate';
import { buildFrozenGraph, opCounts, OUTPUT_NAME, Weights } from './export';

export const MAX_ABS_DIFF = 1e-4;
const MAX_PB_BYTES = 200 * 1024;

function heldOutAccuracy(probabilities: Float32Array, digits: Digits): { correct: number; count: number } {
  let correct = 0;
  for (const i of digits.heldOutIndices) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (probabilities[i * 10 + c] > probabilities[i * 10 + best]) best = c;
    if (best === digits.labels[i]) correct++;
  }
  return { correct, count: digits.heldOutIndices.length };
}

export async function exportAndVerify(weights: Weights, modelPath: string, digits: Digits, tfjsProbabilities: Float32Array): Promise<void> {
  const graph = buildFrozenGraph(weights);
  await saveGraph(graph, modelPath);
  const bytes = statSync(modelPath).size;
  const shown = path.relative(process.cwd(), modelPath);
  console.log(`wrote ${shown.startsWith('..') ? modelPath : shown}: ${bytes} bytes, ${graph.size} nodes`);
  console.log(`ops: ${Object.entries(opCounts(graph)).map(([op, n]) => `${op} ${n}`).join(', ')}`);
  if (bytes > MAX_PB_BYTES) throw new Error(`the .pb is ${bytes} bytes, over the ${MAX_PB_BYTES}-byte budget`);

  const session = await Session.create(await loadGraph(modelPath), { backend: 'wasm' });
  try {
    const all = await evaluateAccuracy(session, OUTPUT_NAME, digits.images, digits.labels, 500);
    let maxDiff = 0;
    for (let i = 0; i < all.probabilities.length; i++) maxDiff = Math.max(maxDiff, Math.abs(all.probabilities[i] - tfjsProbabilities[i]));
    const held = heldOutAccuracy(all.probabilities, digits);
    console.log(`.pb via Session (${session.backend}): held-out ${held.correct}/${held.count} = ${(held.correct / held.count).toFixed(4)}; ` +
      `all ${all.correct}/${all.count} = ${all.accuracy.toFixed(4)}; max |p_pb − p_tfjs| = ${maxDiff.toExponential(2)}`);
    if (!(maxDiff <= MAX_ABS_DIFF)) throw new Error(`the exported graph disagrees with the tfjs model: max abs diff ${maxDiff} > ${MAX_ABS_DIFF}`);
  } finally {
    session.dispose();
  }
}
