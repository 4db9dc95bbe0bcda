import { attr, DataType, makeTensor, NodeDef } from '../../src/ir';
import { chainConstMappers, decodeDeqScale, translateConst, translateTensor } from '../../src/runtime';

const f32Bits = (v: number) => {
  const d = new DataView(new ArrayBuffer(4));
  d.setFloat32(0, v);
  return BigInt(d.getUint32(0));
};
const constNode = (value: ReturnType<typeof makeTensor>): NodeDef => ({
  name: 'c', op: 'Const', inputs: [], controlInputs: [], device: '', attr: { dtype: attr.type(value.dtype), value: attr.tensor(value) },
});

describe('deq_scale decoding (SPEC §6 packing)', () => {
  test('bits 0–31 float32 scale, 32–39 shift N, 40–47 offset_w as int8', () => {
    expect(decodeDeqScale(f32Bits(0.5))).toEqual({ scale: 0.5, shift: 0, offset: 0 });
    const d = decodeDeqScale(f32Bits(0.0235294122) | (16n << 32n) | (0x80n << 40n));
    expect(d.scale).toBeCloseTo(0.0235294122, 9);
    expect(d.shift).toBe(16);
    expect(d.offset).toBe(-128);
    expect(decodeDeqScale(f32Bits(1) | (0x7fn << 40n)).offset).toBe(127);
  });

  test('a [C] uint64 tensor becomes float32 [C, 3]', () => {
    const t = translateTensor(makeTensor(DataType.DT_UINT64, [2], BigUint64Array.from([f32Bits(2), f32Bits(0.25) | (1n << 32n)])))!;
    expect(t.dtype).toBe(DataType.DT_FLOAT);
    expect(t.shape.dims).toEqual([2, 3]);
    expect(Array.from(t.data as Float32Array)).toEqual([2, 0, 0, 0.25, 1, 0]);
  });
});

describe('dtype translation', () => {
  test('int8 and other integers become int32 (int64 clamped); float kinds become float32', () => {
    const i8 = translateTensor(makeTensor(DataType.DT_INT8, [3], Int8Array.from([-128, 0, 127])))!;
    expect(i8.dtype).toBe(DataType.DT_INT32);
    expect(Array.from(i8.data as Int32Array)).toEqual([-128, 0, 127]);
    const i64 = translateTensor(makeTensor(DataType.DT_INT64, [2], BigInt64Array.from([-(2n ** 40n), 7n])))!;
    expect(Array.from(i64.data as Int32Array)).toEqual([-2147483648, 7]);
    const u8 = translateTensor(makeTensor(DataType.DT_UINT8, [1], Uint8Array.from([255])))!;
    expect(Array.from(u8.data as Int32Array)).toEqual([255]);
    const half = translateTensor(makeTensor(DataType.DT_HALF, [2], Uint16Array.from([0x3c00, 0xc000])))!;
    expect(half.dtype).toBe(DataType.DT_FLOAT);
    expect(Array.from(half.data as Float32Array)).toEqual([1, -2]);
    const f64 = translateTensor(makeTensor(DataType.DT_DOUBLE, [1], Float64Array.from([0.1])))!;
    expect(f64.data).toBeInstanceOf(Float32Array);
  });

  test('float32, int32 and bool are kept as they are', () => {
    expect(translateTensor(makeTensor(DataType.DT_FLOAT, [1], Float32Array.from([1])))).toBeUndefined();
    expect(translateTensor(makeTensor(DataType.DT_INT32, [1], Int32Array.from([1])))).toBeUndefined();
    expect(translateTensor(makeTensor(DataType.DT_BOOL, [1], Uint8Array.from([1])))).toBeUndefined();
  });

  test('translateConst reads the node; chains take the first answer', () => {
    const node = constNode(makeTensor(DataType.DT_INT8, [1], Int8Array.from([3])));
    expect(translateConst(node)!.dtype).toBe(DataType.DT_INT32);
    const mine = makeTensor(DataType.DT_FLOAT, [1], Float32Array.from([9]));
    expect(chainConstMappers(() => mine, translateConst)(node)).toBe(mine);
    expect(chainConstMappers(undefined, () => undefined, translateConst)(node)!.dtype).toBe(DataType.DT_INT32);
  });
});
