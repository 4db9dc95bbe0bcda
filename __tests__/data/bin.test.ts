import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileFormatError } from '../../src/errors';
import { decodeBin, readBin } from '../../src/data';

describe('raw .bin files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'amct-bin-'));
  });
  afterAll(() => fs.promises.rm(dir, { recursive: true }));

  it('reads float32 little-endian with the given sample shape', async () => {
    const file = path.join(dir, 'a.bin');
    fs.writeFileSync(file, Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer));
    const s = await readBin(file, [2, 3]);
    expect(s.shape).toEqual([1, 2, 3]);
    expect(Array.from(s.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('splits a file holding several samples (AMCT writes a whole batch per file)', () => {
    const bytes = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    expect(decodeBin(bytes, [3]).shape).toEqual([2, 3]);
  });

  it('converts other element types to float32', () => {
    expect(Array.from(decodeBin(new Uint8Array([0, 128, 255]), [3], 'uint8').data)).toEqual([0, 128, 255]);
    const i16 = new Uint8Array(new Int16Array([-5, 7]).buffer);
    expect(Array.from(decodeBin(i16, [2], 'int16').data)).toEqual([-5, 7]);
    const f64 = new Uint8Array(new Float64Array([0.5, -2]).buffer);
    expect(Array.from(decodeBin(f64, [1], 'float64').data)).toEqual([0.5, -2]);
  });

  it('names the file and the expected byte count on a size mismatch', async () => {
    const file = path.join(dir, 'short.bin');
    fs.writeFileSync(file, Buffer.alloc(10));
    let err: unknown;
    try {
      await readBin(file, [1, 2, 2, 3]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FileFormatError);
    expect(err).toMatchObject({ code: 'CALIBRATION_DATA_INVALID', file });
    expect((err as Error).message).toMatch(/has 10 bytes; one sample of shape \[1,2,2,3\] float32 is 48 bytes/);
    expect((err as FileFormatError).hint).toMatch(/--input_shape/);
  });

  it('refuses an empty file', () => {
    expect(() => decodeBin(new Uint8Array(0), [2], 'float32', 'e.bin')).toThrow(/0 bytes/);
  });
});
