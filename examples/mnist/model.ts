/**
 * The small MNIST CNN, as a TensorFlow.js layers model. Layer names are fixed because
 * export.ts reads the trained weights by name and names the graph's nodes after them.
 *
 *   input 28×28×1
 *   conv1    Conv2D 3×3×16, stride 1, SAME → BN → ReLU6          28×28×16
 *   pool1    MaxPool 2×2, stride 2                               14×14×16
 *   block1   DepthwiseConv2D 3×3 → BN → ReLU6 → Conv2D 1×1×16 → BN
 *            → Add(block input) → ReLU6                          14×14×16   (residual)
 *   conv3    Conv2D 3×3×32, stride 2, SAME → BN → ReLU6           7×7×32
 *   block2   as block1, 32 channels                               7×7×32    (residual)
 *   pool3    AvgPool 3×3, stride 2, VALID                          3×3×32
 *   flatten → fc1 Dense 64 → ReLU6 → logits Dense 10 → Softmax
 *
 * Convolutions carry no bias (batch norm follows each); the dense layers have one.
 */
import type * as tfType from './tf';

export const BN_EPSILON = 0.001;
const BN_MOMENTUM = 0.9;

type Sym = tfType.SymbolicTensor;

export function buildModel(tf: typeof tfType, seed: number): tfType.LayersModel {
  let s = seed;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  const apply = (layer: tfType.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
  const bn = (name: string, x: Sym) => apply(tf.layers.batchNormalization({ name, axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM }), x);
  const relu6 = (name: string, x: Sym) => apply(tf.layers.reLU({ name, maxValue: 6 }), x);
  const conv = (name: string, x: Sym, filters: number, kernelSize: number, strides: number) =>
    apply(tf.layers.conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init() }), x);
  /** Depthwise 3×3 → BN → ReLU6 → pointwise 1×1 → BN, added to the block's input, → ReLU6. */
  const residualBlock = (name: string, input: Sym, channels: number) => {
    let x = apply(tf.layers.depthwiseConv2d({ name: `${name}_dw`, kernelSize: 3, strides: 1, padding: 'same', depthMultiplier: 1, useBias: false, depthwiseInitializer: init() }), input);
    x = relu6(`${name}_dw_relu`, bn(`${name}_dw_bn`, x));
    x = bn(`${name}_pw_bn`, conv(`${name}_pw`, x, channels, 1, 1));
    return relu6(`${name}_relu`, apply(tf.layers.add({ name: `${name}_add` }), [x, input]));
  };

  const input = tf.input({ shape: [28, 28, 1], name: 'input' });
  let x = relu6('conv1_relu', bn('conv1_bn', conv('conv1', input, 16, 3, 1)));
  x = apply(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2, padding: 'valid' }), x);
  x = residualBlock('block1', x, 16);
  x = relu6('conv3_relu', bn('conv3_bn', conv('conv3', x, 32, 3, 2)));
  x = residualBlock('block2', x, 32);
  x = apply(tf.layers.averagePooling2d({ name: 'pool3', poolSize: 3, strides: 2, padding: 'valid' }), x);
  x = apply(tf.layers.flatten({ name: 'flatten' }), x);
  x = relu6('fc1_relu', apply(tf.layers.dense({ name: 'fc1', units: 64, kernelInitializer: init() }), x));
  const output = apply(tf.layers.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: s++ }) }), x);
  return tf.model({ inputs: input, outputs: output, name: 'mnist_cnn' });
}
