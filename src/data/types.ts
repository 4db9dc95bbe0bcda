/** Shapes of calibration data as the loaders and the batcher pass it around. */

/** `count` samples stacked along axis 0: shape is [count, ...sampleShape]. */
export interface Samples {
  data: Float32Array;
  shape: number[];
}

/** One calibration batch, NHWC for images: shape [N, ...]. */
export type Batch = Samples;

/** Turns one file into the samples it holds (an image holds one; .npy/.bin may hold many). */
export type SampleLoader = (file: string) => Promise<Samples>;

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
