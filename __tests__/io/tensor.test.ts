/**
 * Every TensorProto value field: canonical bytes (from protobufjs) decode to the exact
 * typed array, expanded to the full shape, and re-encode byte for byte.
 */
import { DataType } from '../../src/ir';
import type { TensorData } from '../../src/ir';
import { decTensor, encTensor, hex, pbEncode, shapeObj } from './pb';

const D = DataType;

function roundTrip(obj: Record<string, unknown>) {
  const bytes = pbEncode('TensorProto', obj);
  const t = decTensor(bytes);
  expect(hex(encTensor(t))).toBe(hex(bytes));
  return t;
}

function expectData(data: TensorData, ctor: { name: string }, values: unknown[]) {
  expect(data.constructor.name).toBe(ctor.name);
  expect(Array.from(data as ArrayLike<unknown>)).toEqual(values);
}

describe('typed value fields', () => {
  test.each([
    ['float_val', D.DT_FLOAT, { floatVal: [1.5, -2, 3.25] }, Float32Array, [1.5, -2, 3.25]],
    ['double_val', D.DT_DOUBLE, { doubleVal: [0.1, -1e300, 5e-324] }, Float64Array, [0.1, -1e300, 5e-324]],
    ['int_val int32', D.DT_INT32, { intVal: [-1, 2147483647, -2147483648] }, Int32Array, [-1, 2147483647, -2147483648]],
    ['int_val int16', D.DT_INT16, { intVal: [-32768, 32767, 0] }, Int16Array, [-32768, 32767, 0]],
    ['int_val int8', D.DT_INT8, { intVal: [-128, 127, -1] }, Int8Array, [-128, 127, -1]],
    ['int_val uint8', D.DT_UINT8, { intVal: [0, 255, 128] }, Uint8Array, [0, 255, 128]],
    ['int_val uint16', D.DT_UINT16, { intVal: [0, 65535, 1] }, Uint16Array, [0, 65535, 1]],
    ['int_val qint8', D.DT_QINT8, { intVal: [-128, 5, 127] }, Int8Array, [-128, 5, 127]],
    ['int_val quint8', D.DT_QUINT8, { intVal: [255, 0, 7] }, Uint8Array, [255, 0, 7]],
    ['int_val qint32', D.DT_QINT32, { intVal: [-5, 0, 5] }, Int32Array, [-5, 0, 5]],
    ['half_val half', D.DT_HALF, { halfVal: [0x3c00, 0xfbff, 0x7e00] }, Uint16Array, [0x3c00, 0xfbff, 0x7e00]],
    ['half_val bfloat16', D.DT_BFLOAT16, { halfVal: [0x3f80, 0xff80, 1] }, Uint16Array, [0x3f80, 0xff80, 1]],
    ['bool_val', D.DT_BOOL, { boolVal: [true, false, true] }, Uint8Array, [1, 0, 1]],
    ['uint32_val', D.DT_UINT32, { uint32Val: [0, 4294967295, 1] }, Uint32Array, [0, 4294967295, 1]],
    ['int64_val', D.DT_INT64, { int64Val: ['-9223372036854775808', '9223372036854775807', '-1'] }, BigInt64Array, [-(2n ** 63n), 2n ** 63n - 1n, -1n]],
    ['uint64_val', D.DT_UINT64, { uint64Val: ['0', '18446744073709551615', '9223372036854775808'] }, BigUint64Array, [0n, 2n ** 64n - 1n, 2n ** 63n]],
  ])('%s', (_name, dtype, values, ctor, expected) => {
    const t = roundTrip({ dtype, tensorShape: shapeObj([3]), ...values });
    expectData(t.data, ctor, expected);
    expect(t.encoding).toEqual({ kind: 'values', storedCount: 3 });
  });

  test('scomplex_val and dcomplex_val hold (re, im) pairs', () => {
    expectData(roundTrip({ dtype: D.DT_COMPLEX64, tensorShape: shapeObj([2]), scomplexVal: [1, 2, 3, 4] }).data, Float32Array, [1, 2, 3, 4]);
    expectData(roundTrip({ dtype: D.DT_COMPLEX128, tensorShape: shapeObj([2]), dcomplexVal: [0.1, 2, 3, 4] }).data, Float64Array, [0.1, 2, 3, 4]);
  });

  test('string_val keeps raw bytes, empty strings included', () => {
    const t = roundTrip({ dtype: D.DT_STRING, tensorShape: shapeObj([3]), stringVal: [Buffer.from('a'), new Uint8Array(0), new Uint8Array([0xff, 0])] });
    expect(t.strings!.map((s) => Array.from(s))).toEqual([[97], [], [0xff, 0]]);
    expect(t.data).toHaveLength(0);
  });

  test('version_number is kept', () => {
    expect(roundTrip({ dtype: D.DT_FLOAT, tensorShape: shapeObj([1]), versionNumber: 7, floatVal: [1] }).versionNumber).toBe(7);
  });
});

describe('elided tails expand to the full shape', () => {
  test('a zero tensor of shape [64] stored as float_val [0]', () => {
    const t = roundTrip({ dtype: D.DT_FLOAT, tensorShape: shapeObj([64]), floatVal: [0] });
    expect(t.data).toEqual(new Float32Array(64));
    expect(t.encoding).toEqual({ kind: 'values', storedCount: 1 });
  });

  test('the last stored value repeats', () => {
    expectData(roundTrip({ dtype: D.DT_INT32, tensorShape: shapeObj([2, 3]), intVal: [1, 2] }).data, Int32Array, [1, 2, 2, 2, 2, 2]);
    expectData(roundTrip({ dtype: D.DT_INT64, tensorShape: shapeObj([3]), int64Val: ['-9223372036854775808'] }).data, BigInt64Array, [-(2n ** 63n), -(2n ** 63n), -(2n ** 63n)]);
    expectData(roundTrip({ dtype: D.DT_COMPLEX64, tensorShape: shapeObj([3]), scomplexVal: [1, 2] }).data, Float32Array, [1, 2, 1, 2, 1, 2]);
    expect(roundTrip({ dtype: D.DT_STRING, tensorShape: shapeObj([3]), stringVal: [Buffer.from('x')] }).strings!.map((s) => String.fromCharCode(...s))).toEqual(['x', 'x', 'x']);
  });

  test('no stored values means zeros (storedCount 0)', () => {
    const t = roundTrip({ dtype: D.DT_HALF, tensorShape: shapeObj([4]) });
    expect(t.data).toEqual(new Uint16Array(4));
    expect(t.encoding).toEqual({ kind: 'values', storedCount: 0 });
  });

  test('a scalar has tensor_shape {} and one value', () => {
    const t = roundTrip({ dtype: D.DT_FLOAT, tensorShape: {}, floatVal: [6] });
    expect(t.shape.dims).toEqual([]);
    expectData(t.data, Float32Array, [6]);
  });

  test('an in-place edit of the tail is not lost when re-encoding', () => {
    const t = decTensor(pbEncode('TensorProto', { dtype: D.DT_FLOAT, tensorShape: shapeObj([4]), floatVal: [0] }));
    (t.data as Float32Array)[3] = 5;
    expect(Array.from(decTensor(encTensor(t)).data as Float32Array)).toEqual([0, 0, 0, 5]);
  });
});

describe('tensor_content', () => {
  const content = (data: TensorData) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  test.each([
    [D.DT_FLOAT, new Float32Array([1, -0, Infinity, 2.5])],
    [D.DT_DOUBLE, new Float64Array([1e-310, -2, 3, 4])],
    [D.DT_INT8, new Int8Array([-128, 127, 0, 1])],
    [D.DT_UINT16, new Uint16Array([65535, 0, 1, 2])],
    [D.DT_HALF, new Uint16Array([0x7c00, 0x8001, 0x3555, 0])],
    [D.DT_BOOL, new Uint8Array([1, 0, 0, 1])],
    [D.DT_INT64, new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n])],
    [D.DT_UINT64, new BigUint64Array([2n ** 64n - 1n, 0n, 1n, 2n ** 40n])],
    [D.DT_UINT32, new Uint32Array([4294967295, 0, 1, 2])],
  ])('dtype %i decodes to the exact typed array', (dtype, data) => {
    const t = roundTrip({ dtype, tensorShape: shapeObj([2, 2]), tensorContent: content(data) });
    expect(t.data).toEqual(data);
    expect(t.encoding).toEqual({ kind: 'content' });
  });

  test('complex64 content is 8 bytes per element', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    expect(roundTrip({ dtype: D.DT_COMPLEX64, tensorShape: shapeObj([2]), tensorContent: content(data) }).data).toEqual(data);
  });

  test('NaN payloads survive (bytes are copied, not reinterpreted)', () => {
    const bits = new Uint32Array([0x7fc00001, 0xffffffff]);
    const t = roundTrip({ dtype: D.DT_FLOAT, tensorShape: shapeObj([2]), tensorContent: content(bits) });
    expect(Array.from(new Uint32Array((t.data as Float32Array).buffer))).toEqual([0x7fc00001, 0xffffffff]);
  });

  test('a tensor made in memory (no encoding) is written as tensor_content', () => {
    const bytes = encTensor({ dtype: D.DT_FLOAT, shape: { dims: [2] }, data: new Float32Array([1, 1]) });
    // TensorFlow's own bytes for tf.constant([1., 1.]): dtype, shape {dim {size: 2}}, content.
    expect(hex(bytes)).toBe('0801' + '1204' + '12020802' + '2208' + '0000803f0000803f');
  });
});

describe('fields the SDK does not model are kept', () => {
  test('resource_handle_val and variant_val stay as opaque bytes', () => {
    const r = roundTrip({ dtype: D.DT_RESOURCE, tensorShape: shapeObj([1]), resourceHandleVal: [pbEncode('ResourceHandleProto', { device: '/cpu:0', name: 'v', hashCode: '12345678901234' })] });
    expect(r.opaque!.length).toBeGreaterThan(0);
    expect(r.data).toHaveLength(0);
    const v = roundTrip({ dtype: D.DT_VARIANT, tensorShape: {}, variantVal: [pbEncode('VariantTensorDataProto', { typeName: 'T', metadata: Buffer.from('m') })] });
    expect(v.opaque!.length).toBeGreaterThan(0);
  });
});
