/**
 * A function-preserving rescaling of the MNIST CNN that ruins plain INT8 (the DMQ
 * balancer's test case, SPEC §10): a few channels of fc1's input are multiplied by a large
 * gain s_c and fc1's weight rows that read them are divided by s_c. Exact up to float32
 * rounding, since nothing between the Mul and fc1 is nonlinear:
 *
 *   pool3/AvgPool → rescale/Mul(s) → flatten/Reshape → fc1/MatMul(W with rows / s)
 *
 * (Every other activation of this model is a Relu6, which does not commute with a scale,
 * so fc1's input is the one place an exact rescaling needs no new nonlinear op.)
 * fc1 quantizes its input with one scale per tensor: the scaled channels set the range
 * and the others are left a level or two, so plain INT8 collapses; the balancer moves the
 * gains into fc1's weights.
 */
import { attr, attrTensor, DataType, floatTensor, Graph, toFloat32 } from '../../src';

/** Default gains: channels 0, 8, 16, 24 ×500, the rest ×1. */
function defaultGains(channels = 32, every = 8, gain = 500): number[] {
  return Array.from({ length: channels }, (_, c) => (c % every === 0 ? gain : 1));
}

/** Edits `graph` (the MNIST CNN as loaded) in place; `gains`: one per channel of pool3's 32. */
export function rescaleMnist(graph: Graph, gains: number[] = defaultGains()): void {
  const channels = gains.length;
  const k = graph.addConst('rescale/gains', floatTensor([channels], gains));
  const flatten = graph.getNode('flatten/Reshape');
  graph.insertOnEdge(flatten.inputs[0], { name: graph.uniqueName('rescale/Mul'), op: 'Mul', inputs: [k.name], attr: { T: attr.type(DataType.DT_FLOAT) } });
  // fc1's kernel is [288, 64]; row i reads channel i % 32 of the flattened 3×3×32 (NHWC)
  const fc1 = graph.getNode('fc1/MatMul');
  const oldKernel = graph.producerOf(fc1.inputs[1]);
  const w = attrTensor(oldKernel);
  const [rows, cols] = w.shape.dims;
  const values = toFloat32(w);
  const scaled = Float32Array.from(values, (v, i) => Math.fround(v / gains[Math.floor(i / cols) % channels]));
  const nk = graph.addConst('fc1/kernel_rescaled', floatTensor([rows, cols], scaled));
  graph.replaceInput('fc1/MatMul', 1, nk.name);
  if (graph.dataConsumersOfNode(oldKernel.name).length === 0) graph.removeNode(oldKernel.name);
}
