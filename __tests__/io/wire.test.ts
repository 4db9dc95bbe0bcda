/** The wire reader and writer: varint edge cases, bounds, and the nested-length writer. */
import { CodecError, ProtoReader } from '../../src/io/wire';
import { ProtoWriter, varintSize } from '../../src/io/writer';
import { hex } from './pb';

const write = (fn: (w: ProtoWriter) => void) => {
  const w = new ProtoWriter();
  fn(w);
  return w.finish();
};

describe('varints', () => {
  test.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [-1, 'ffffffffffffffffff01'],
    [2 ** 53 - 1, 'ffffffffffffff0f'],
    [-(2n ** 63n), '80808080808080808001'],
    [2n ** 64n - 1n, 'ffffffffffffffffff01'],
  ])('%s', (value, bytes) => {
    const b = write((w) => w.int64(value));
    expect(hex(b)).toBe(bytes);
    expect(varintSize(value)).toBe(b.length);
  });

  test('int64 reads a number while exact, else a bigint; uint64 likewise', () => {
    const read = (b: Uint8Array) => new ProtoReader(b).int64();
    expect(read(write((w) => w.int64(-(2 ** 53 - 1))))).toBe(-(2 ** 53 - 1));
    expect(read(write((w) => w.int64(-(2n ** 53n))))).toBe(-(2n ** 53n));
    expect(read(write((w) => w.int64(2n ** 63n - 1n)))).toBe(2n ** 63n - 1n);
    expect(new ProtoReader(write((w) => w.int64(2n ** 64n - 1n))).uint64()).toBe(2n ** 64n - 1n);
    expect(new ProtoReader(write((w) => w.int32(-5))).int32()).toBe(-5);
  });

  test('truncated and over-long varints are CodecErrors', () => {
    expect(() => new ProtoReader(new Uint8Array([0x80, 0x80])).int64()).toThrow(CodecError);
    expect(() => new ProtoReader(new Uint8Array(11).fill(0xff)).int64()).toThrow(/10 bytes/);
  });
});

describe('lengths and nesting', () => {
  test('a length past the end is refused before anything is allocated', () => {
    expect(() => new ProtoReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])).bytes()).toThrow(/exceeds/);
    expect(() => new ProtoReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).bytes()).toThrow(/over 4 GiB/);
  });

  test('fork/ldelim prefix each nested message with its length, large payloads by reference', () => {
    const big = new Uint8Array(100000).fill(7);
    const b = write((w) => {
      w.fork().fork().bytesField(4, big).ldelim(8).ldelim(1);
      w.stringField(2, 'x');
    });
    const r = new ProtoReader(b);
    expect(r.tag()).toEqual([1, 2]);
    const outer = r.sub();
    expect(outer.tag()).toEqual([8, 2]);
    const inner = outer.sub();
    expect(inner.tag()).toEqual([4, 2]);
    expect(inner.bytes()).toEqual(big);
    expect(r.tag()).toEqual([2, 2]);
    expect(r.string()).toBe('x');
    expect(r.eof()).toBe(true);
  });

  test('field number 0 and group wire types are malformed', () => {
    expect(() => new ProtoReader(new Uint8Array([0x00])).tag()).toThrow(/field number 0/);
    const r = new ProtoReader(new Uint8Array([0x0b]));
    const [, wire] = r.tag();
    expect(() => r.skip(wire)).toThrow(/wire type 3/);
  });
});
