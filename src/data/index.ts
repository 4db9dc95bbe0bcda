/** Calibration input loading: .npy, raw .bin and JPEG/PNG images to float32 batches. No tfjs. */
export * from './types';
export * from './npy';
export * from './bin';
export * from './image';
export * from './transform';
export * from './files';
export * from './batch';
