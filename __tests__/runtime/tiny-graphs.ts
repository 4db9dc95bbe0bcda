/** Tiny graphs for Session tests, built with the IR, with outputs computed by hand. */
import { attr, DataType, floatTensor, Graph, TensorValue } from '../../src/ir';

export function placeholder(g: Graph, name: string, dims: number[], dtype = DataType.DT_FLOAT): void {
  g.addNode({ name, op: 'Placeholder', attr: { dtype: attr.type(dtype), shape: attr.shape(dims) } });
}

export function constant(g: Graph, name: string, value: TensorValue): void {
  g.addNode({ name, op: 'Const', attr: { dtype: attr.type(value.dtype), value: attr.tensor(value) } });
}

/**
 * x [-1,2] · W [2,3] + b → y = Relu.
 * W = [[1,2,3],[4,5,6]], b = [0.5,-100,1]. For x = [1,1]: mm = [5,7,9], add = [5.5,-93,10], relu = [5.5,0,10].
 */
export function matMulGraph(): Graph {
  const g = new Graph();
  placeholder(g, 'x', [-1, 2]);
  constant(g, 'W', floatTensor([2, 3], [1, 2, 3, 4, 5, 6]));
  constant(g, 'b', floatTensor([3], [0.5, -100, 1]));
  g.addNode({ name: 'mm', op: 'MatMul', inputs: ['x', 'W'], attr: { T: attr.type(DataType.DT_FLOAT), transpose_a: attr.bool(false), transpose_b: attr.bool(false) } });
  g.addNode({ name: 'add', op: 'BiasAdd', inputs: ['mm', 'b'], attr: { T: attr.type(DataType.DT_FLOAT), data_format: attr.str('NHWC') } });
  g.addNode({ name: 'y', op: 'Relu', inputs: ['add'], attr: { T: attr.type(DataType.DT_FLOAT) } });
  return g;
}

/**
 * img [1,3,3,1] (1..9) conv filter [2,2,1,1] = [1,0,0,-1] VALID stride 1:
 * out[i][j] = in[i][j] − in[i+1][j+1] = −4 everywhere → [1,2,2,1] of −4.
 * With filter [1,2,3,4]: out = a+2b+3d+4e over each 2x2 window:
 * (1,2,4,5)→1+4+12+20=37, (2,3,5,6)→2+6+15+24=47, (4,5,7,8)→4+10+21+32=67, (5,6,8,9)→77.
 */
export function convGraph(filter = [1, 2, 3, 4]): Graph {
  const g = new Graph();
  placeholder(g, 'img', [1, 3, 3, 1]);
  constant(g, 'filter', floatTensor([2, 2, 1, 1], filter));
  g.addNode({
    name: 'conv',
    op: 'Conv2D',
    inputs: ['img', 'filter'],
    attr: {
      T: attr.type(DataType.DT_FLOAT),
      strides: attr.ints([1, 1, 1, 1]),
      padding: attr.str('VALID'),
      data_format: attr.str('NHWC'),
      dilations: attr.ints([1, 1, 1, 1]),
    },
  });
  return g;
}

export const IMG_1_TO_9 = { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 3, 3, 1] };
