/**
 * What the .pb codec relies on protobufjs for, pinned here so that a protobufjs upgrade
 * that changes it fails loudly: TensorFlow's deterministic serialization, unknown fields
 * kept, bounds checks on untrusted bytes; and the int64 ⇄ number | bigint conversions.
 */
import Long from 'long';
import * as protobuf from 'protobufjs';
import { decodeGraphDef, encodeGraphDef } from '../../src/io';
import { bigintFromPb, decodeMessage, encodeMessage, int64FromPb, int64ToPb } from '../../src/io/pb';
import type { PbNodeDef } from '../../src/io/pb';
import { messageType } from '../../src/io/schema';
import type { Int64 } from '../../src/ir';
import { hex, pbEncode } from './pb';

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe("encoding is TensorFlow's deterministic serialization", () => {
  test('known fields in field-number order whatever the object order; unknown fields last', () => {
    const message = { $unknowns: [bytes('c8062a')], versions: { producer: 1 }, version: 2, library: bytes('0a00'), node: [{ name: 'a' }] };
    expect(hex(encodeMessage('GraphDef', message))).toBe('0a030a0161' + '12020a00' + '1802' + '22020801' + 'c8062a');
  });

  test('map entries in object insertion order; decoding keeps the wire order', () => {
    const b = pbEncode('GraphDef', { node: [{ name: 'n', attr: { b: { i: 1 }, a: { i: 2 } } }] });
    expect(hex(b)).toBe('0a15' + '0a016e' + '2a07' + '0a0162' + '12021801' + '2a07' + '0a0161' + '12021802');
    const g = decodeGraphDef(b);
    expect(Object.keys(g.getNode('n').attr)).toEqual(['b', 'a']);
    expect(hex(encodeGraphDef(g))).toBe(hex(b));
  });

  test('proto3 defaults are not written; oneof members and optional bytes are, even when empty', () => {
    expect(hex(encodeMessage('TensorProto', { dtype: 0, versionNumber: 0, tensorContent: new Uint8Array(0), floatVal: [] }))).toBe('');
    expect(hex(encodeMessage('AttrValue', { b: false }))).toBe('2800');
    expect(hex(encodeMessage('NodeDef', { experimentalType: new Uint8Array(0) }))).toBe('3a00');
  });

  test('repeated scalars are written packed (typed arrays too); unpacked ones are read', () => {
    expect(hex(encodeMessage('TensorProto', { intVal: new Int8Array([1, -1]) }))).toBe('3a0b' + '01' + 'ffffffffffffffffff01');
    expect(decodeMessage<{ intVal: number[] }>('TensorProto', bytes('38013802')).intVal).toEqual([1, 2]);
  });
});

describe('decoding untrusted bytes', () => {
  test('a length prefix past the end throws before anything is allocated', () => {
    expect(() => decodeMessage('TensorProto', bytes('22feffff7f'))).toThrow(RangeError); // 268 MB announced, none there
    expect(() => decodeMessage('TensorProto', bytes('22ffffffff0f'))).toThrow(/invalid length/); // over 2 GiB
    expect(() => decodeMessage('GraphDef', bytes('0a7f0a0161'))).toThrow(RangeError); // a node cut short
  });

  test('field number 0 and invalid wire types are refused', () => {
    expect(() => decodeMessage('GraphDef', bytes('00'))).toThrow(/field number 0/);
    expect(() => decodeMessage('GraphDef', bytes('0e'))).toThrow(/wire type 6/);
  });

  test('unknown fields are kept only when asked, as views into the input', () => {
    const input = bytes('0a016e' + 'c8062a');
    expect((messageType('NodeDef').decode(input) as PbNodeDef).$unknowns).toBeUndefined();
    const kept = decodeMessage<PbNodeDef>('NodeDef', input).$unknowns!;
    expect(kept.map(hex)).toEqual(['c8062a']);
    expect(kept[0].buffer).toBe(input.buffer);
  });

  test('strings must be UTF-8 (proto3): the failing node is named', () => {
    const good = pbEncode('NodeDef', { name: 'a', op: 'NoOp' });
    const bad = bytes('0a0162' + '1202ff00'); // name "b", op is not UTF-8
    const graph = new Uint8Array([0x0a, good.length, ...good, 0x0a, bad.length, ...bad]);
    expect(() => decodeGraphDef(graph, 'u.pb')).toThrow(expect.objectContaining({ code: 'PROTOBUF_MALFORMED', node: 'b', file: 'u.pb', message: expect.stringMatching(/node #1 \(b\).*UTF-8/) }));
  });

  test('protobufjs defaults are left alone (other users of protobufjs see no change)', () => {
    const writerSize = protobuf.Writer.initialBufferSize;
    decodeMessage('NodeDef', bytes('0a016e'));
    expect(hex(encodeMessage('NodeDef', { name: 'n' }, 1 << 20))).toBe('0a016e'); // a writer sized by the hint
    expect(protobuf.Reader.discardUnknown).toBe(true);
    expect(protobuf.Writer.initialBufferSize).toBe(writerSize);
  });
});

describe('int64 ⇄ number | bigint', () => {
  test.each<[Int64, string]>([
    [0, '1800'],
    [1, '1801'],
    [300, '18ac02'],
    [-1, '18ffffffffffffffffff01'],
    [2 ** 53 - 1, '18ffffffffffffff0f'],
    [-(2 ** 53 - 1), '1881808080808080f0ff01'],
    [2n ** 53n + 1n, '188180808080808010'],
    [-(2n ** 53n), '1880808080808080f0ff01'],
    [2n ** 63n - 1n, '18ffffffffffffffff7f'],
    [-(2n ** 63n), '1880808080808080808001'],
  ])('%s: a number while exact (|v| < 2^53), else a bigint', (value, wire) => {
    const b = encodeMessage('AttrValue', { i: int64ToPb(value) });
    expect(hex(b)).toBe(wire);
    expect(int64FromPb(decodeMessage<{ i: Long }>('AttrValue', b).i)).toBe(value);
  });

  test('uint64 and bigint forms', () => {
    const max = Long.fromBits(-1, -1, true);
    expect(int64FromPb(max, true)).toBe(2n ** 64n - 1n);
    expect(bigintFromPb(max, true)).toBe(2n ** 64n - 1n);
    expect(bigintFromPb(max, false)).toBe(-1n);
    expect(int64FromPb(int64ToPb(2n ** 64n - 1n, true), true)).toBe(2n ** 64n - 1n);
    expect(int64FromPb(7)).toBe(7);
  });
});
