/**
 * Gradient kernels the example's training needs and TensorFlow.js lacks or runs slowly,
 * used only by train.ts. The wasm backend has no Conv2DBackpropFilter nor depthwise
 * backprop kernels; the cpu backend has them, but they read every element through
 * TensorBuffer.get() and make one training step take seconds. These walk the flat NHWC
 * arrays (float64 accumulation) and serve either backend. Dilations must be 1.
 */
import type * as tfType from './tf';

type Conv4 = [number, number, number, number];
interface Backend {
  readSync(dataId: unknown): ArrayLike<number>;
  /** cpu backend */
  makeTensorInfo?(shape: number[], dtype: string, values: Float32Array): tfType.TensorInfo;
  /** wasm backend */
  makeOutput?(shape: number[], dtype: string, memoryOffset: undefined, values: Float32Array): tfType.TensorInfo;
}
interface Attrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dilations?: number | [number, number];
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: Conv4;
  inputShape?: Conv4;
}
interface Args {
  inputs: Record<string, tfType.TensorInfo>;
  backend: Backend;
  attrs: Attrs;
}
type Impl = (tf: typeof tfType, args: Args) => tfType.TensorInfo;

const KERNELS: Record<string, Impl> = {
  Conv2DBackpropFilter: conv2dBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
};

/** Installs the kernels above for `backendName` ('cpu' or 'wasm'), replacing any it has. */
export function registerTrainingKernels(tf: typeof tfType, backendName: string): void {
  for (const [kernelName, impl] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc: ((args: Args) => impl(tf, args)) as unknown as tfType.KernelFunc });
  }
}

function output(backend: Backend, shape: number[], acc: Float64Array): tfType.TensorInfo {
  const values = Float32Array.from(acc);
  return backend.makeTensorInfo ? backend.makeTensorInfo(shape, 'float32', values) : backend.makeOutput!(shape, 'float32', undefined, values);
}

function convInfo(tf: typeof tfType, xShape: number[], filterShape: Conv4, attrs: Attrs, depthwise: boolean) {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') throw new Error('training kernels handle NHWC only');
  const d = attrs.dilations ?? 1;
  if ((Array.isArray(d) ? d : [d, d]).some((v) => v !== 1)) throw new Error('training kernels handle dilation 1 only');
  return tf.backend_util.computeConv2DInfo(xShape as Conv4, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, depthwise, 'channelsLast');
}

/**
 * Calls `visit(xOff, yOff, wOff)` for every (batch, output pixel, filter tap) whose input
 * pixel lies inside the image; offsets point at channel 0 of each array.
 */
function forEachTap(info: tfType.backend_util.Conv2DInfo, wStride: number, visit: (xOff: number, yOff: number, wOff: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      for (let yc = 0; yc < outWidth; yc++) {
        const yOff = ((b * outHeight + yr) * outWidth + yc) * outChannels;
        for (let wr = 0; wr < filterHeight; wr++) {
          const xr = yr * strideHeight + wr - top;
          if (xr < 0 || xr >= inHeight) continue;
          for (let wc = 0; wc < filterWidth; wc++) {
            const xc = yc * strideWidth + wc - left;
            if (xc < 0 || xc >= inWidth) continue;
            visit(((b * inHeight + xr) * inWidth + xc) * inChannels, yOff, (wr * filterWidth + wc) * wStride);
          }
        }
      }
    }
  }
}

function conv2dBackpropFilter(tf: typeof tfType, { inputs, backend, attrs }: Args): tfType.TensorInfo {
  const info = convInfo(tf, inputs.x.shape, attrs.filterShape!, attrs, false);
  const { inChannels: ci, outChannels: co } = info;
  const x = backend.readSync(inputs.x.dataId);
  const dy = backend.readSync(inputs.dy.dataId);
  const acc = new Float64Array(info.filterHeight * info.filterWidth * ci * co);
  forEachTap(info, ci * co, (xOff, yOff, wOff) => {
    for (let c = 0; c < ci; c++) {
      const v = x[xOff + c];
      if (v === 0) continue; // ReLU outputs and MNIST backgrounds are mostly zero
      const o = wOff + c * co;
      for (let k = 0; k < co; k++) acc[o + k] += v * dy[yOff + k];
    }
  });
  return output(backend, [info.filterHeight, info.filterWidth, ci, co], acc);
}

function depthwiseBackpropFilter(tf: typeof tfType, { inputs, backend, attrs }: Args): tfType.TensorInfo {
  const info = convInfo(tf, inputs.x.shape, attrs.filterShape!, attrs, true);
  const ci = info.inChannels;
  const m = info.outChannels / ci; // channel multiplier
  const x = backend.readSync(inputs.x.dataId);
  const dy = backend.readSync(inputs.dy.dataId);
  const acc = new Float64Array(info.filterHeight * info.filterWidth * ci * m);
  forEachTap(info, ci * m, (xOff, yOff, wOff) => {
    for (let c = 0; c < ci; c++) {
      const v = x[xOff + c];
      for (let k = 0; k < m; k++) acc[wOff + c * m + k] += v * dy[yOff + c * m + k];
    }
  });
  return output(backend, [info.filterHeight, info.filterWidth, ci, m], acc);
}

function depthwiseBackpropInput(tf: typeof tfType, { inputs, backend, attrs }: Args): tfType.TensorInfo {
  const info = convInfo(tf, attrs.inputShape!, inputs.filter.shape as Conv4, attrs, true);
  const ci = info.inChannels;
  const m = info.outChannels / ci; // channel multiplier
  const w = backend.readSync(inputs.filter.dataId);
  const dy = backend.readSync(inputs.dy.dataId);
  const acc = new Float64Array(attrs.inputShape!.reduce((a, b) => a * b, 1));
  forEachTap(info, ci * m, (xOff, yOff, wOff) => {
    for (let c = 0; c < ci; c++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += w[wOff + c * m + k] * dy[yOff + c * m + k];
      acc[xOff + c] += s;
    }
  });
  return output(backend, [...attrs.inputShape!], acc);
}
