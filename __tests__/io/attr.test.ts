/** Every AttrValue oneof member and every ListValue field, against protobufjs's canonical bytes. */
import { DataType } from '../../src/ir';
import type { AttrValue } from '../../src/ir';
import { decAttr, encAttr, hex, pbEncode, shapeObj } from './pb';

const D = DataType;
const bytes = (s: string) => new Uint8Array(Buffer.from(s));

function roundTrip(obj: Record<string, unknown>): AttrValue {
  const b = pbEncode('AttrValue', obj);
  const a = decAttr(b);
  expect(hex(encAttr(a))).toBe(hex(b));
  return a;
}

describe('AttrValue members', () => {
  test('s: raw bytes (not necessarily UTF-8)', () => {
    expect(roundTrip({ s: new Uint8Array([0x4e, 0x48, 0xff]) })).toEqual({ kind: 's', value: new Uint8Array([0x4e, 0x48, 0xff]) });
    expect(roundTrip({ s: new Uint8Array(0) })).toEqual({ kind: 's', value: new Uint8Array(0) });
  });

  test('i: a number while exact, a bigint beyond 2^53', () => {
    expect(roundTrip({ i: '-1' })).toEqual({ kind: 'i', value: -1 });
    expect(roundTrip({ i: '0' })).toEqual({ kind: 'i', value: 0 });
    expect(roundTrip({ i: '9007199254740991' })).toEqual({ kind: 'i', value: 2 ** 53 - 1 });
    expect(roundTrip({ i: '-9007199254740991' })).toEqual({ kind: 'i', value: -(2 ** 53 - 1) });
    expect(roundTrip({ i: '9007199254740993' })).toEqual({ kind: 'i', value: 2n ** 53n + 1n });
    expect(roundTrip({ i: '-9223372036854775808' })).toEqual({ kind: 'i', value: -(2n ** 63n) });
  });

  test('f: float32 values, zero included (oneof members are written even when default)', () => {
    expect(roundTrip({ f: 0.001 })).toEqual({ kind: 'f', value: Math.fround(0.001) });
    expect(roundTrip({ f: 0 })).toEqual({ kind: 'f', value: 0 });
    expect(roundTrip({ f: -Infinity })).toEqual({ kind: 'f', value: -Infinity });
  });

  test('b, type, placeholder', () => {
    expect(roundTrip({ b: false })).toEqual({ kind: 'b', value: false });
    expect(roundTrip({ b: true })).toEqual({ kind: 'b', value: true });
    expect(roundTrip({ type: 'DT_HALF' })).toEqual({ kind: 'type', value: D.DT_HALF });
    expect(roundTrip({ type: 'DT_INVALID' })).toEqual({ kind: 'type', value: D.DT_INVALID });
    expect(roundTrip({ placeholder: 'T' })).toEqual({ kind: 'placeholder', value: 'T' });
  });

  test('shape: unknown dims, unknown rank and dim names', () => {
    expect(roundTrip({ shape: shapeObj([-1, 224, 224, 3]) })).toEqual({ kind: 'shape', value: { dims: [-1, 224, 224, 3] } });
    expect(roundTrip({ shape: { unknownRank: true } })).toEqual({ kind: 'shape', value: { dims: [], unknownRank: true } });
    expect(roundTrip({ shape: { dim: [{ size: 2, name: 'batch' }, { size: 3 }] } })).toEqual({ kind: 'shape', value: { dims: [2, 3], dimNames: ['batch', undefined] } });
    expect(roundTrip({ shape: {} })).toEqual({ kind: 'shape', value: { dims: [] } });
  });

  test('tensor', () => {
    const a = roundTrip({ tensor: { dtype: 'DT_INT32', tensorShape: shapeObj([2]), intVal: [3, 4] } });
    expect(a.kind === 'tensor' && Array.from(a.value.data as Int32Array)).toEqual([3, 4]);
  });

  test('func: a NameAttrList with its own attr map', () => {
    const a = roundTrip({ func: { name: 'f', attr: { T: { type: 'DT_FLOAT' }, n: { i: '2' } } } });
    expect(a).toEqual({ kind: 'func', value: { name: 'f', attr: { T: { kind: 'type', value: D.DT_FLOAT }, n: { kind: 'i', value: 2 } } } });
  });

  test('an empty AttrValue is kind none', () => {
    expect(roundTrip({})).toEqual({ kind: 'none' });
  });

  test('when several members appear the last wins, as in protobuf', () => {
    const b = new Uint8Array([...pbEncode('AttrValue', { i: '5' }), ...pbEncode('AttrValue', { b: true })]);
    expect(decAttr(b)).toEqual({ kind: 'b', value: true });
  });
});

describe('ListValue fields', () => {
  test('every field', () => {
    const a = roundTrip({
      list: {
        s: [bytes('VALID'), new Uint8Array(0)],
        i: ['1', '-2', '9007199254740993'],
        f: [0.5, -1],
        b: [true, false],
        type: ['DT_FLOAT', 'DT_INT8'],
        shape: [shapeObj([1, -1]), {}],
        tensor: [{ dtype: 'DT_FLOAT', tensorShape: {}, floatVal: [2] }],
        func: [{ name: 'g' }],
      },
    });
    expect(a.kind).toBe('list');
    if (a.kind !== 'list') return;
    const l = a.value;
    expect(l.s).toEqual([bytes('VALID'), new Uint8Array(0)]);
    expect(l.i).toEqual([1, -2, 2n ** 53n + 1n]);
    expect(l.f).toEqual([0.5, -1]);
    expect(l.b).toEqual([true, false]);
    expect(l.type).toEqual([D.DT_FLOAT, D.DT_INT8]);
    expect(l.shape).toEqual([{ dims: [1, -1] }, { dims: [] }]);
    expect(Array.from(l.tensor![0].data as Float32Array)).toEqual([2]);
    expect(l.func).toEqual([{ name: 'g', attr: {} }]);
  });

  test('an empty list is present but has no fields', () => {
    expect(roundTrip({ list: {} })).toEqual({ kind: 'list', value: {} });
  });

  test('unpacked repeated ints (proto2 style) are read too', () => {
    // list { i: 1 i: 2 } written unpacked: 0a 04 18 01 18 02
    expect(decAttr(new Uint8Array([0x0a, 0x04, 0x18, 0x01, 0x18, 0x02]))).toEqual({ kind: 'list', value: { i: [1, 2] } });
  });

  test('attrs built with ir attr helpers encode like protobufjs', () => {
    const a: AttrValue = { kind: 'list', value: { i: [1, 2, 2, 1] } };
    expect(hex(encAttr(a))).toBe(hex(pbEncode('AttrValue', { list: { i: ['1', '2', '2', '1'] } })));
  });
});
