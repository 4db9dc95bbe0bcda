/**
 * The TensorFlow.js the MNIST example trains with: tfjs-core (ops, optimizers) plus
 * tfjs-layers (the Keras-style model), without the whole @tensorflow/tfjs bundle, which
 * amct-ts does not depend on. Layers is a devDependency: only training needs it.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
