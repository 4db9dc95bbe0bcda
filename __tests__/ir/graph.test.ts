import { Graph, attr, floatTensor, parseTensorName, canonicalTensorName, GraphError, DataType, attrInts, attrString, attrInt, toFloat32, makeTensor } from '../../src';

/** x → a(Identity) → b(Relu) → out(Identity), plus c reading a:0 and a control edge. */
function chain(): Graph {
  const g = new Graph();
  g.addNode({ name: 'x', op: 'Placeholder', attr: { dtype: attr.type(DataType.DT_FLOAT) } });
  g.addNode({ name: 'a', op: 'Identity', inputs: ['x'] });
  g.addNode({ name: 'b', op: 'Relu', inputs: ['a:0'] });
  g.addNode({ name: 'c', op: 'Neg', inputs: ['a'], controlInputs: ['b'] });
  g.addNode({ name: 'out', op: 'AddV2', inputs: ['b', 'c'] });
  return g;
}

describe('tensor names', () => {
  test('node alone means output 0; suffix is the index', () => {
    expect(parseTensorName('conv')).toEqual({ node: 'conv', index: 0 });
    expect(parseTensorName('a/b:3')).toEqual({ node: 'a/b', index: 3 });
    // Only a last colon followed by digits to the end splits the name.
    const cases: [string, string, number][] = [
      ['a:1:2', 'a:1', 2], ['a::3', 'a:', 3], ['x/y:007', 'x/y', 7], [':1', ':1', 0], ['a:', 'a:', 0], ['a:b', 'a:b', 0],
      ['a:1b', 'a:1b', 0], ['a:-1', 'a:-1', 0], ['a: 1', 'a: 1', 0], ['a:１', 'a:１', 0], ['::', '::', 0],
    ];
    for (const [name, node, index] of cases) expect(parseTensorName(name)).toEqual({ node, index });
    expect(canonicalTensorName('x:0')).toBe('x');
    expect(() => parseTensorName('^ctrl')).toThrow(GraphError);
    expect(() => parseTensorName('')).toThrow(GraphError);
  });
});

describe('Graph reading', () => {
  test('producers and consumers by tensor, control inputs kept apart', () => {
    const g = chain();
    expect(g.producerOf('a:0').name).toBe('a');
    expect(g.consumersOf('a').map((c) => [c.node.name, c.inputIndex])).toEqual([
      ['b', 0],
      ['c', 0],
    ]);
    expect(g.consumersOf('b').map((c) => c.node.name)).toEqual(['out']);
    expect(g.controlDependents('b').map((n) => n.name)).toEqual(['c']);
    expect(g.getNode('c').inputs).toEqual(['a']);
    expect(g.getNode('c').controlInputs).toEqual(['b']);
  });

  test('getNode on a missing name is a typed error naming it', () => {
    const g = chain();
    expect(() => g.getNode('nope')).toThrow(expect.objectContaining({ code: 'NODE_NOT_FOUND', node: 'nope' }));
  });

  test('topological order puts every node after its inputs and control inputs', () => {
    const g = new Graph();
    // Insert in an order that is not topological: out before its inputs via the constructor.
    const nodes = chain().nodes().reverse();
    const h = new Graph(nodes);
    const order = h.topologicalOrder().map((n) => n.name);
    const pos = new Map(order.map((n, i) => [n, i]));
    for (const n of h.nodes()) {
      for (const i of n.inputs) expect(pos.get(parseTensorName(i).node)!).toBeLessThan(pos.get(n.name)!);
      for (const c of n.controlInputs) expect(pos.get(c)!).toBeLessThan(pos.get(n.name)!);
    }
    expect(g.size).toBe(0);
  });

  test('a cycle is reported with the nodes on it; a NextIteration back edge is not a cycle', () => {
    const cyc = new Graph([
      { name: 'p', op: 'Neg', inputs: ['q'], controlInputs: [], device: '', attr: {} },
      { name: 'q', op: 'Neg', inputs: ['p'], controlInputs: [], device: '', attr: {} },
    ]);
    expect(() => cyc.topologicalOrder()).toThrow(expect.objectContaining({ code: 'GRAPH_CYCLE' }));
    expect(() => cyc.validate()).toThrow(/cycle through p, q/);

    const loop = new Graph([
      { name: 'init', op: 'Const', inputs: [], controlInputs: [], device: '', attr: {} },
      { name: 'merge', op: 'Merge', inputs: ['init', 'next'], controlInputs: [], device: '', attr: {} },
      { name: 'body', op: 'Neg', inputs: ['merge'], controlInputs: [], device: '', attr: {} },
      { name: 'next', op: 'NextIteration', inputs: ['body'], controlInputs: [], device: '', attr: {} },
    ]);
    expect(loop.topologicalOrder().map((n) => n.name)).toEqual(['init', 'merge', 'body', 'next']);
  });

  test('validate reports dangling inputs and duplicate names', () => {
    const dangling = new Graph([{ name: 'a', op: 'Neg', inputs: ['ghost:1'], controlInputs: [], device: '', attr: {} }]);
    expect(() => dangling.validate()).toThrow(expect.objectContaining({ code: 'DANGLING_INPUT', node: 'a' }));
    expect(() => new Graph([chain().getNode('x'), chain().getNode('x')])).toThrow(expect.objectContaining({ code: 'DUPLICATE_NODE' }));
    expect(() => chain().validate()).not.toThrow();
  });
});

describe('Graph edits keep it consistent', () => {
  test('insertOnEdge rewires every consumer of the tensor', () => {
    const g = chain();
    const q = g.insertOnEdge('a', { name: 'a/quant', op: 'Identity' });
    expect(q.inputs).toEqual(['a']);
    expect(g.getNode('b').inputs).toEqual(['a/quant']);
    expect(g.getNode('c').inputs).toEqual(['a/quant']);
    expect(g.consumersOf('a').map((c) => c.node.name)).toEqual(['a/quant']);
    expect(g.consumersOf('a/quant').map((c) => c.node.name).sort()).toEqual(['b', 'c']);
    g.validate();
  });

  test('insertOnEdge on chosen consumers only', () => {
    const g = chain();
    const only = g.consumersOf('a').filter((c) => c.node.name === 'c');
    g.insertOnEdge('a', { name: 'q', op: 'Identity' }, only);
    expect(g.getNode('b').inputs).toEqual(['a:0']);
    expect(g.getNode('c').inputs).toEqual(['q']);
  });

  test('removeNode with rewiring bypasses a node; control dependents inherit its control inputs', () => {
    const g = chain();
    g.setControlInputs('a', ['x']);
    g.removeNode('a', { 0: 'x' });
    expect(g.has('a')).toBe(false);
    expect(g.getNode('b').inputs).toEqual(['x']);
    expect(g.consumersOf('x').map((c) => c.node.name).sort()).toEqual(['b', 'c']);
    g.validate();
  });

  test('removeNode refuses to leave readers dangling', () => {
    const g = chain();
    expect(() => g.removeNode('b')).toThrow(expect.objectContaining({ code: 'INVALID_GRAPH', node: 'b' }));
    expect(g.has('b')).toBe(true);
  });

  test('removing a node moves its control inputs to its control dependents', () => {
    const g = chain();
    g.addNode({ name: 'side', op: 'NoOp', controlInputs: ['x'] });
    g.setControlInputs('out', ['side']);
    g.removeNode('side');
    expect(g.getNode('out').controlInputs).toEqual(['x']);
    g.validate();
  });

  test('replaceNode keeps readers of the same name and relinks inputs', () => {
    const g = chain();
    g.replaceNode('b', { op: 'Relu6', inputs: ['x'] });
    expect(g.getNode('b').op).toBe('Relu6');
    expect(g.consumersOf('a').map((c) => c.node.name)).toEqual(['c']);
    expect(g.consumersOf('x').map((c) => c.node.name).sort()).toEqual(['a', 'b']);
    expect(g.consumersOf('b').map((c) => c.node.name)).toEqual(['out']);
  });

  test('rewireConsumers moves readers and never makes a node read itself', () => {
    const g = chain();
    g.addNode({ name: 'b2', op: 'Identity', inputs: ['b'] });
    g.rewireConsumers('b', 'b2');
    expect(g.getNode('out').inputs).toEqual(['b2', 'c']);
    expect(g.getNode('b2').inputs).toEqual(['b']);
    g.validate();
  });

  test('addNode rejects duplicates and unknown inputs; uniqueName avoids collisions', () => {
    const g = chain();
    expect(() => g.addNode({ name: 'a', op: 'Neg' })).toThrow(expect.objectContaining({ code: 'DUPLICATE_NODE' }));
    expect(() => g.addNode({ name: 'n', op: 'Neg', inputs: ['nope'] })).toThrow(expect.objectContaining({ code: 'NODE_NOT_FOUND' }));
    expect(g.uniqueName('zzz')).toBe('zzz');
    g.addNode({ name: 'a_1', op: 'NoOp' });
    expect(g.uniqueName('a')).toBe('a_2');
  });

  test('addConst makes a Const with dtype and value under a unique name', () => {
    const g = chain();
    const c = g.addConst('x', floatTensor([2], [1.5, -2]));
    expect(c.name).toBe('x_1');
    expect(c.op).toBe('Const');
    expect(c.attr.dtype).toEqual({ kind: 'type', value: DataType.DT_FLOAT });
    expect(c.attr.value.kind).toBe('tensor');
  });

  test('clone is independent of the original', () => {
    const g = chain();
    const h = g.clone();
    h.insertOnEdge('a', { name: 'q', op: 'Identity' });
    expect(g.has('q')).toBe(false);
    expect(g.getNode('b').inputs).toEqual(['a:0']);
  });
});

describe('attributes and tensors', () => {
  test('typed reads with fallbacks and typed errors', () => {
    const g = new Graph();
    const n = g.addNode({ name: 'conv', op: 'Conv2D', attr: { strides: attr.ints([1, 2, 2, 1]), padding: attr.str('SAME'), group: attr.int(3) } });
    expect(attrInts(n, 'strides')).toEqual([1, 2, 2, 1]);
    expect(attrString(n, 'padding')).toBe('SAME');
    expect(attrString(n, 'data_format', 'NHWC')).toBe('NHWC');
    expect(attrInt(n, 'group')).toBe(3);
    expect(() => attrString(n, 'strides')).toThrow(expect.objectContaining({ code: 'INVALID_GRAPH', node: 'conv' }));
  });

  test('half and bfloat16 bits expand to float32', () => {
    // half 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504 (max), 0x0001 = 2^-24 (smallest subnormal)
    const half = makeTensor(DataType.DT_HALF, [4], Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001]));
    expect(Array.from(toFloat32(half))).toEqual([1, -2, 65504, Math.fround(2 ** -24)]);
    // bfloat16 0x3f80 = 1.0, 0xc040 = -3.0
    const bf = makeTensor(DataType.DT_BFLOAT16, [2], Uint16Array.from([0x3f80, 0xc040]));
    expect(Array.from(toFloat32(bf))).toEqual([1, -3]);
  });
});

describe('renameNode', () => {
  test('readers follow the new name, data and control alike', () => {
    const g = chain();
    g.renameNode('b', 'b_renamed');
    expect(g.has('b')).toBe(false);
    expect(g.getNode('out').inputs).toEqual(['b_renamed', 'c']);
    expect(g.getNode('c').controlInputs).toEqual(['b_renamed']);
    expect(g.consumersOf('b_renamed').map((c) => c.node.name)).toEqual(['out']);
    expect(g.consumersOf('a').map((c) => c.node.name)).toEqual(['b_renamed', 'c']);
    g.validate();
    expect(() => g.renameNode('a', 'x')).toThrow(expect.objectContaining({ code: 'DUPLICATE_NODE' }));
  });
});
