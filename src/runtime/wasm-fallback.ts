/**
 * Float models must run wherever TensorFlow.js runs them (issue 11, item 8). The wasm
 * backend lacks kernels for some dtypes that the cpu backend has: its BatchMatMul and
 * _FusedMatMul take float32 only ("BatchMatMul for non non-float32 tensors not yet
 * supported"), while a face-landmark model's spatial transformer multiplies int32
 * indices; NCHW convolutions likewise. For those the wasm kernel is wrapped to run the cpu backend's kernel
 * on copies of its inputs and put the result back on wasm: same values as on cpu, for
 * that node only, and unchanged behaviour for every input the wasm kernel accepts.
 *
 * The wrapped kernels are tfjs's process-wide registrations; the wrapper only acts where
 * the original would have thrown.
 */
import { log } from '../log';
import { tf } from './tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type Inputs = Parameters<KernelFunc>[0]['inputs'];
type Attrs = Parameters<KernelFunc>[0]['attrs'];
type Backend = tf.KernelBackend;
type DataId = tf.TensorInfo['dataId'];

interface Fallback {
  kernelName: string;
  /** Whether the wasm kernel cannot run these inputs with these attrs. */
  lacks(inputs: Inputs, attrs: Attrs): boolean;
}

const notFloat32 = (inputs: Inputs) => Object.values(inputs).some((t) => t !== undefined && t !== null && t.dtype !== 'float32');

const channelsFirst = (_: Inputs, attrs: Attrs) => attrs?.dataFormat === 'NCHW';

/**
 * (kernel, inputs, attrs) the wasm backend of tfjs 4.22 refuses and the cpu one runs:
 * non-float32 matrix products, and NCHW convolutions (the cpu kernels handle
 * channels-first; wasm's throw "does not support dataFormat").
 */
const WASM_FALLBACKS: readonly Fallback[] = [
  { kernelName: 'BatchMatMul', lacks: notFloat32 },
  { kernelName: '_FusedMatMul', lacks: notFloat32 },
  { kernelName: 'Conv2D', lacks: channelsFirst },
  { kernelName: 'FusedConv2D', lacks: channelsFirst },
];

let installed = false;

/** Wraps the wasm kernels of WASM_FALLBACKS once per process (after the wasm package registered them). */
export function installWasmFallbacks(): void {
  if (installed) return;
  installed = true;
  for (const fallback of WASM_FALLBACKS) {
    const original = tf.getKernel(fallback.kernelName, 'wasm');
    if (!original || !tf.getKernel(fallback.kernelName, 'cpu')) continue;
    tf.unregisterKernel(fallback.kernelName, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => (fallback.lacks(args.inputs, args.attrs) ? runOnCpu(fallback.kernelName, args) : original.kernelFunc(args)),
    });
  }
}

/** Runs the cpu backend's kernel on copies of the inputs; the outputs are written back to the calling backend. */
function runOnCpu(kernelName: string, { inputs, backend, attrs }: Parameters<KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
  const cpu = tf.engine().findBackend('cpu') as Backend;
  const host = backend as Backend;
  const made: DataId[] = [];
  const cpuInputs: Record<string, tf.TensorInfo> = {};
  const described = describeInputs(inputs);
  log.once(`wasm-fallback:${kernelName}:${described}`, 'debug', `wasm has no ${kernelName} kernel for ${described}; running it on cpu`);
  try {
    for (const [name, t] of Object.entries(inputs)) {
      if (!t) continue;
      const dataId = cpu.write(host.readSync(t.dataId) as tf.BackendValues, t.shape, t.dtype);
      made.push(dataId);
      cpuInputs[name] = { dataId, shape: t.shape, dtype: t.dtype };
    }
    const out = tf.getKernel(kernelName, 'cpu').kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
    const outs = (Array.isArray(out) ? out : [out]).map((o) => {
      made.push(o.dataId);
      const values = cpu.readSync(o.dataId) as tf.BackendValues;
      return { dataId: host.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
    });
    return Array.isArray(out) ? outs : outs[0];
  } finally {
    for (const id of made) cpu.disposeData(id, true);
  }
}

function describeInputs(inputs: Inputs): string {
  return Object.entries(inputs).filter(([, t]) => t).map(([n, t]) => `${n}: ${t!.dtype}`).join(', ');
}
