/**
 * Trains the example MNIST CNN with TensorFlow.js and exports it as a frozen TensorFlow
 * GraphDef, examples/mnist/model/mnist_cnn.pb, then checks that the .pb run by the SDK's
 * Session gives the trained model's probabilities.
 *
 *   npx ts-node --transpile-only examples/mnist/train.ts [--epochs 12] [--reuse-weights] [--out file.pb]
 *
 * Deterministic: fixed initializer seeds, a seeded shuffle and augmentation, the wasm
 * backend (single-threaded). --reuse-weights skips training when a previous run left its
 * weights in the cache file (MNIST_WEIGHTS, default $TMPDIR/amct-mnist/weights.json).
 */
import * as os from 'os';
import * as path from 'path';
import { existsSync } from 'fs';
import * as tf from './tf';
import '@tensorflow/tfjs-backend-wasm';
import { Digits, gather, IMAGE_SIZE, loadDigits, PIXELS } from './data';
import { buildModel } from './model';
import { registerTrainingKernels } from './train-kernels';
import { evaluateAccuracy } from './evaluate';
import { assignWeights, extractWeights, loadWeights, paramCount, saveWeights } from './weights';
import { exportAndVerify } from './verify';

const SEED = 20240611;
const BATCH = 32;
const MAX_SHIFT = 2;
const LR_MAX = 0.003;
const LR_MIN = 0.0001;
export const MODEL_PATH = path.join(__dirname, 'model', 'mnist_cnn.pb');

interface Options {
  epochs: number;
  out: string;
  reuseWeights: boolean;
  weightsFile: string;
  backend: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    epochs: 12,
    out: MODEL_PATH,
    reuseWeights: false,
    weightsFile: process.env.MNIST_WEIGHTS ?? path.join(os.tmpdir(), 'amct-mnist', 'weights.json'),
    backend: process.env.MNIST_TRAIN_BACKEND ?? 'wasm',
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--epochs') opts.epochs = Number(argv[++i]);
    else if (argv[i] === '--reuse-weights') opts.reuseWeights = true;
    else if (argv[i] === '--out') opts.out = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return opts;
}

/** mulberry32: a tiny seeded PRNG, so shuffles and shifts repeat run after run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(indices: Uint32Array, rand: () => number): Uint32Array {
  const out = Uint32Array.from(indices);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** One training batch: the images at `indices`, each moved by a random shift of up to MAX_SHIFT pixels. */
function augmentedBatch(digits: Digits, indices: Uint32Array, rand: () => number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const n = indices.length;
  const images = new Float32Array(n * PIXELS);
  const labels = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const src = indices[k] * PIXELS;
    const dx = Math.floor(rand() * (2 * MAX_SHIFT + 1)) - MAX_SHIFT;
    const dy = Math.floor(rand() * (2 * MAX_SHIFT + 1)) - MAX_SHIFT;
    for (let r = 0; r < IMAGE_SIZE; r++) {
      const sr = r - dy;
      if (sr < 0 || sr >= IMAGE_SIZE) continue;
      for (let c = 0; c < IMAGE_SIZE; c++) {
        const sc = c - dx;
        if (sc >= 0 && sc < IMAGE_SIZE) images[k * PIXELS + r * IMAGE_SIZE + c] = digits.images[src + sr * IMAGE_SIZE + sc];
      }
    }
    labels[k] = digits.labels[indices[k]];
  }
  return { x: tf.tensor4d(images, [n, IMAGE_SIZE, IMAGE_SIZE, 1]), y: tf.tensor1d(labels) };
}

async function train(model: tf.LayersModel, digits: Digits, epochs: number): Promise<void> {
  const optimizer = tf.train.adam(LR_MAX);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const rand = prng(SEED);
  const heldOut = gather(digits, digits.heldOutIndices);
  for (let epoch = 0; epoch < epochs; epoch++) {
    // cosine decay, epoch by epoch (tfjs reads the field at every step; it is only typed protected)
    const lr = LR_MIN + 0.5 * (LR_MAX - LR_MIN) * (1 + Math.cos((Math.PI * epoch) / epochs));
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const order = shuffled(digits.trainIndices, rand);
    const started = Date.now();
    let loss = 0;
    let acc = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const { x, y } = augmentedBatch(digits, order.subarray(start, start + BATCH), rand);
      const [l, a] = (await model.trainOnBatch(x, y)) as number[];
      tf.dispose([x, y]);
      loss += l;
      acc += a;
      batches++;
    }
    const held = await evaluateAccuracy(predictWith(model), 'output', heldOut.images, heldOut.labels, 500);
    console.log(`epoch ${epoch + 1}/${epochs}  lr ${lr.toFixed(5)}  loss ${(loss / batches).toFixed(4)}  ` +
      `train acc ${(acc / batches).toFixed(4)}  held-out acc ${held.accuracy.toFixed(4)}  ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** The tfjs model as evaluateAccuracy's predict function (inference mode). */
export function predictWith(model: tf.LayersModel) {
  return async (batch: Float32Array, shape: number[]): Promise<Float32Array> => {
    const out = tf.tidy(() => model.predict(tf.tensor(batch, shape)) as tf.Tensor);
    const values = (await out.data()) as Float32Array;
    out.dispose();
    return values;
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  await tf.setBackend(opts.backend);
  await tf.ready();
  registerTrainingKernels(tf, opts.backend);
  const digits = loadDigits();
  console.log(`backend ${tf.getBackend()}; ${digits.count} digits: ${digits.trainIndices.length} for training, ${digits.heldOutIndices.length} held out`);

  const model = buildModel(tf, SEED);
  const started = Date.now();
  if (opts.reuseWeights && existsSync(opts.weightsFile)) {
    assignWeights(tf, model, await loadWeights(opts.weightsFile));
    console.log(`reused the weights in ${opts.weightsFile}`);
  } else {
    await train(model, digits, opts.epochs);
    await saveWeights(opts.weightsFile, extractWeights(model));
    console.log(`trained in ${((Date.now() - started) / 1000).toFixed(0)} s; weights cached in ${opts.weightsFile}`);
  }
  const weights = extractWeights(model);
  const params = paramCount(weights);
  console.log(`parameters: ${params.total} (${params.trainable} trainable)`);

  const heldOut = gather(digits, digits.heldOutIndices);
  const tfjsHeld = await evaluateAccuracy(predictWith(model), 'output', heldOut.images, heldOut.labels, 500);
  const tfjsAll = await evaluateAccuracy(predictWith(model), 'output', digits.images, digits.labels, 500);
  console.log(`tfjs model: held-out ${tfjsHeld.correct}/${tfjsHeld.count} = ${tfjsHeld.accuracy.toFixed(4)}; all ${tfjsAll.correct}/${tfjsAll.count} = ${tfjsAll.accuracy.toFixed(4)}`);

  await exportAndVerify(weights, opts.out, digits, tfjsAll.probabilities);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
