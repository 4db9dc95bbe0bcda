import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AmctError, FileFormatError } from '../../src/errors';
import { NpyArray, decodeNpy, encodeNpy, readNpy, writeNpy } from '../../src/data';

// Bytes written by numpy 2.4 (numpy.save), kept inline so the test needs no Python.
const NUMPY = {
  f4_2x3: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=',
  bigEndianI4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAB/////gAAASw=',
  fortran: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=',
  bool3: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=',
  scalarF8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAEQA==',
  v3i2: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8aTInLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAEAAgA=',
};
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** A .npy file with a hand-written header, for malformed cases. */
function withHeader(header: string, data = new Uint8Array(0), major = 1): Uint8Array {
  const h = Buffer.from(header, 'latin1');
  const lenBytes = major === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  out.set(h, 8 + lenBytes);
  out.set(data, 8 + lenBytes + h.length);
  return out;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AmctError);
    return (e as AmctError).code;
  }
  return undefined;
}

describe('npy round trip', () => {
  const cases: NpyArray[] = [
    { dtype: 'float32', shape: [2, 3], data: new Float32Array([0, 1.5, -2, 3.25, 1e-7, -1e30]) },
    { dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -0, 1e300]) },
    { dtype: 'int32', shape: [2, 2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -5]) },
    { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    { dtype: 'uint8', shape: [1, 2, 2], data: new Uint8Array([0, 255, 7, 128]) },
    { dtype: 'int8', shape: [3], data: new Int8Array([-128, 127, 0]) },
    { dtype: 'uint16', shape: [2], data: new Uint16Array([0, 65535]) },
    { dtype: 'int16', shape: [2], data: new Int16Array([-32768, 32767]) },
    { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
    { dtype: 'float32', shape: [], data: new Float32Array([42]) },
    { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
  ];
  it.each(cases.map((c) => [c.dtype, c.shape.join('x') || 'scalar', c] as const))('%s %s', (_d, _s, c) => {
    const back = decodeNpy(encodeNpy(c));
    expect(back.dtype).toBe(c.dtype);
    expect(back.shape).toEqual(c.shape);
    expect(back.data.constructor).toBe(c.data.constructor);
    expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(c.data as ArrayLike<number | bigint>));
  });

  it('writes the same bytes as numpy.save', () => {
    const a: NpyArray = { dtype: 'float32', shape: [2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) };
    expect(Buffer.from(encodeNpy(a)).toString('base64')).toBe(NUMPY.f4_2x3);
  });

  it('puts the data on a 64-byte boundary', () => {
    const bytes = encodeNpy({ dtype: 'uint8', shape: [5], data: new Uint8Array(5) });
    expect((bytes.length - 5) % 64).toBe(0);
  });

  it('writes and reads a file', async () => {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'amct-npy-'));
    const file = path.join(dir, 'sub', 'a.npy');
    await writeNpy(file, { dtype: 'int16', shape: [2], data: new Int16Array([3, -4]) });
    const back = await readNpy(file);
    expect(Array.from(back.data as Int16Array)).toEqual([3, -4]);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['a.npy']); // no temp file left behind
    await fs.promises.rm(dir, { recursive: true });
  });

  it('refuses data that does not match the shape or dtype', () => {
    expect(codeOf(() => encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(3) }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeNpy({ dtype: 'float32', shape: [3], data: new Float64Array(3) as never }))).toBe('INVALID_ARGUMENT');
  });
});

describe('npy files written by numpy', () => {
  it('reads float32 2x3', () => {
    const a = decodeNpy(b64(NUMPY.f4_2x3));
    expect(a).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(Array.from(a.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('converts big-endian int32 to host order', () => {
    const a = decodeNpy(b64(NUMPY.bigEndianI4));
    expect(a.dtype).toBe('int32');
    expect(Array.from(a.data as Int32Array)).toEqual([1, -2, 300]);
  });
  it('reads bool, a float64 scalar and a version 3.0 file', () => {
    expect(Array.from(decodeNpy(b64(NUMPY.bool3)).data as Uint8Array)).toEqual([1, 0, 1]);
    const s = decodeNpy(b64(NUMPY.scalarF8));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as Float64Array)).toEqual([2.5]);
    const v3 = decodeNpy(b64(NUMPY.v3i2));
    expect(v3).toMatchObject({ dtype: 'int16', shape: [3] });
    expect(Array.from(v3.data as Int16Array)).toEqual([0, 1, 2]);
  });
  it('refuses Fortran order with a hint', () => {
    expect(() => decodeNpy(b64(NUMPY.fortran), 'f.npy')).toThrow(/Fortran-ordered.*file f\.npy.*ascontiguousarray/);
    expect(codeOf(() => decodeNpy(b64(NUMPY.fortran)))).toBe('UNSUPPORTED_FORMAT');
  });
});

describe('malformed npy', () => {
  const ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
  it('accepts a hand-built version 2.0 header', () => {
    const a = decodeNpy(withHeader(ok, new Uint8Array(new Float32Array([1, 2]).buffer), 2));
    expect(Array.from(a.data as Float32Array)).toEqual([1, 2]);
  });
  it.each([
    ['bad magic', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), /magic/],
    ['empty', new Uint8Array(0), /magic/],
    ['unknown version', withHeader(ok, new Uint8Array(8), 4), /version 4/],
    ['header past the end', withHeader(ok).subarray(0, 20), /header length/],
    ['not a dict', withHeader('[1, 2]\n'), /expected '\{'/],
    ['missing shape', withHeader("{'descr': '<f4', 'fortran_order': False}\n"), /missing 'shape'/],
    ['bad shape', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }\n"), /shape must be a tuple/],
    ['unterminated string', withHeader("{'descr: 1}\n"), /unterminated/],
    ['truncated data', withHeader(ok, new Uint8Array(7)), /needs 8 data bytes, found 7/],
    ['trailing data', withHeader(ok, new Uint8Array(9)), /found 9/],
  ])('%s', (_name, bytes, message) => {
    let err: unknown;
    try {
      decodeNpy(bytes, 'bad.npy');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FileFormatError);
    expect((err as FileFormatError).file).toBe('bad.npy');
    expect((err as Error).message).toMatch(message);
    expect((err as FileFormatError).hint).toBeTruthy();
  });
  it.each([["'<f2'"], ["'<c8'"], ["'<U3'"], ["[('a', '<f4')]"]])('refuses dtype %s', (descr) => {
    const bytes = withHeader(`{'descr': ${descr}, 'fortran_order': False, 'shape': (1,), }\n`, new Uint8Array(4));
    expect(codeOf(() => decodeNpy(bytes))).toBe('UNSUPPORTED_DTYPE');
  });
  it('names a missing file', async () => {
    await expect(readNpy('/nonexistent/x.npy')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', file: '/nonexistent/x.npy' });
  });
});
