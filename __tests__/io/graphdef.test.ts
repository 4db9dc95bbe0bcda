/**
 * GraphDef decode → encode is byte-identical for canonical files: one built by hand
 * with protobufjs (an independent encoder), and ones made from real models.
 */
import { decodeGraphDef, encodeGraphDef, loadGraph } from '../../src/io';
import { messageType } from '../../src/io/schema';
import { DataType, Graph } from '../../src/ir';
import type { NodeDef } from '../../src/ir';
import { FLOAT_MODELS } from '../helpers/models';
import { hex, pbEncode, shapeObj } from './pb';

/** A length-delimited field, framed by hand. */
function frame(field: number, payload: Uint8Array): Uint8Array {
  const len: number[] = [];
  let n = payload.length;
  while (n > 127) {
    len.push((n & 127) | 128);
    n >>>= 7;
  }
  len.push(n);
  return new Uint8Array([(field << 3) | 2, ...len, ...payload]);
}

const cat = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

const nodes = [
  { name: 'input', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: shapeObj([-1, 4]) } } },
  { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shapeObj([4, 2]), tensorContent: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer) } } } },
  { name: 'zero', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shapeObj([2]), floatVal: [0] } } } },
  {
    name: 'mm',
    op: 'MatMul',
    input: ['input', 'w:0', '^zero'],
    device: '/device:CPU:0',
    attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } },
    // Kept encoded by our schema (bytes), as are the library and debug_info.
    experimentalDebugInfo: pbEncode('NodeDef.ExperimentalDebugInfo', { originalNodeNames: ['dense/MatMul'] }),
  },
  { name: 'out', op: 'BiasAdd', input: ['mm', 'zero'], attr: { T: { type: 'DT_FLOAT' }, data_format: { s: Buffer.from('NHWC') } } },
];

const library = {
  function: [{ signature: { name: 'f', inputArg: [{ name: 'x', type: 'DT_FLOAT' }], outputArg: [{ name: 'y', type: 'DT_FLOAT' }] }, nodeDef: [{ name: 'id', op: 'Identity', input: ['x'], attr: { T: { type: 'DT_FLOAT' } } }], ret: { y: 'id:output:0' } }],
};

/** Canonical GraphDef bytes plus debug_info (kept as raw bytes), framed by hand. */
function handBuilt(): Uint8Array {
  const base = pbEncode('GraphDef', { node: nodes, library: pbEncode('FunctionDefLibrary', library), version: 3, versions: { producer: 1645, minConsumer: 12, badConsumers: [3, 7] } });
  const debugInfo = frame(5, frame(1, Buffer.from('model.py'))); // GraphDebugInfo { files: "model.py" }
  return cat(base, debugInfo);
}

describe('hand-built canonical GraphDef', () => {
  const bytes = handBuilt();
  const graph = decodeGraphDef(bytes, 'hand.pb');

  test('decodes into the IR', () => {
    expect(graph.nodes().map((n) => n.name)).toEqual(['input', 'w', 'zero', 'mm', 'out']);
    const mm = graph.getNode('mm');
    expect(mm.inputs).toEqual(['input', 'w:0']);
    expect(mm.controlInputs).toEqual(['zero']);
    expect(mm.device).toBe('/device:CPU:0');
    expect(Object.keys(mm.attr)).toEqual(['T', 'transpose_a', 'transpose_b']);
    expect(mm.opaque).toBeDefined(); // experimental_debug_info
    const zero = graph.getNode('zero').attr.value;
    expect(zero.kind === 'tensor' && zero.value.data).toEqual(new Float32Array(2));
    expect(graph.meta.versions).toEqual({ producer: 1645, minConsumer: 12, badConsumers: [3, 7] });
    expect(graph.meta.version).toBe(3);
    expect(graph.meta.library?.raw).toBeDefined();
    expect(graph.meta.opaque).toBeDefined(); // debug_info
  });

  test('re-encodes byte for byte', () => {
    expect(hex(encodeGraphDef(graph))).toBe(hex(bytes));
  });

  test('survives an IR edit elsewhere: untouched nodes keep their bytes', () => {
    const g = decodeGraphDef(bytes);
    g.addNode({ name: 'extra', op: 'Identity', inputs: ['out'], attr: { T: { kind: 'type', value: DataType.DT_FLOAT } } });
    const decoded = messageType('GraphDef').decode(encodeGraphDef(g)) as unknown as { node: { name: string }[] };
    expect(decoded.node.map((n) => n.name)).toEqual(['input', 'w', 'zero', 'mm', 'out', 'extra']);
  });

  test('unknown fields inside a node are kept', () => {
    const node = cat(pbEncode('NodeDef', { name: 'n', op: 'NoOp' }), new Uint8Array([0xc8, 0x06, 0x2a])); // field 105 varint 42
    const b = frame(1, node);
    const g = decodeGraphDef(b);
    expect(hex(encodeGraphDef(g))).toBe(hex(b));
  });

  test('present-but-empty versions and library are kept', () => {
    const b = pbEncode('GraphDef', { node: [{ name: 'a', op: 'NoOp' }], library: new Uint8Array(0), versions: {} });
    expect(hex(b)).toContain('1200'); // library {}
    expect(hex(encodeGraphDef(decodeGraphDef(b)))).toBe(hex(b));
  });
});

/** TensorFlow's deterministic serialization sorts map keys; tfjs JSON keeps its own order. */
function canonical(graph: Graph): Graph {
  const sortAttrs = (n: NodeDef): NodeDef => ({ ...n, attr: Object.fromEntries(Object.entries(n.attr).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) });
  return new Graph(graph.nodes().map(sortAttrs), graph.meta);
}

describe.each(FLOAT_MODELS)('real model $name as a canonical .pb', ({ path }) => {
  let pb: Uint8Array;
  beforeAll(async () => {
    pb = encodeGraphDef(canonical(await loadGraph(path)));
  });

  test('decode → encode is byte-identical', () => {
    expect(Buffer.compare(encodeGraphDef(decodeGraphDef(pb)), pb)).toBe(0);
  });

  test('protobufjs (independent encoder) re-encodes the same bytes', () => {
    const T = messageType('GraphDef');
    expect(Buffer.compare(T.encode(T.decode(pb)).finish(), pb)).toBe(0);
  });
});
