import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { FileFormatError } from '../../src/errors';
import {
  Batch, SampleLoader, binLoader, encodeNpy, imageLoader, listCalibrationFiles, makeBatches, npyLoader, singleKind,
} from '../../src/data';

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push({ data: b.data.slice(), shape: b.shape });
  return out;
}

/** A loader that gives file "k" → `count` samples of [2] valued k*10+i. */
const fake = (count = 1, shape = [2]): SampleLoader => async (file) => {
  const k = Number(path.basename(file));
  const data = new Float32Array(count * 2).map((_, i) => k * 10 + i);
  return { data, shape: [count, ...shape] };
};

describe('listCalibrationFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'amct-files-'));
  });
  afterEach(() => fs.promises.rm(dir, { recursive: true }));
  const touch = (...names: string[]) => names.forEach((n) => fs.writeFileSync(path.join(dir, n), ''));

  it('sorts by file-name bytes, skips hidden, unknown and sub-folder entries', async () => {
    touch('img10.jpg', 'img2.JPG', 'Img3.png', 'a.jpeg', '.hidden.jpg', 'notes.txt');
    fs.mkdirSync(path.join(dir, 'sub.jpg'));
    const files = await listCalibrationFiles(dir);
    // Byte order, as Python's sorted(): uppercase before lowercase, "img10" before "img2".
    expect(files.map((f) => path.basename(f))).toEqual(['Img3.png', 'a.jpeg', 'img10.jpg', 'img2.JPG']);
    expect(files[0]).toBe(path.join(dir, 'Img3.png'));
  });

  it('filters by kind and tells the one kind held', async () => {
    touch('a.npy', 'b.bin', 'c.png');
    expect((await listCalibrationFiles(dir, ['npy'])).map((f) => path.basename(f))).toEqual(['a.npy']);
    expect(() => singleKind(['x.bin', 'y.png'], dir)).toThrow(/mixes bin and image/);
    expect(singleKind(['x.jpg', 'y.png'], dir)).toBe('image');
  });

  it('errors on an empty or missing folder, naming it', async () => {
    touch('readme.md');
    await expect(listCalibrationFiles(dir)).rejects.toMatchObject({ code: 'CALIBRATION_DATA_INVALID', file: dir });
    await expect(listCalibrationFiles(dir)).rejects.toBeInstanceOf(FileFormatError);
    await expect(listCalibrationFiles(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(listCalibrationFiles(path.join(dir, 'readme.md'))).rejects.toThrow(/not a folder/);
  });
});

describe('makeBatches', () => {
  it('stacks samples across files into full batches, in order', async () => {
    const batches = await collect(makeBatches(['1', '2', '3', '4', '5'], 2, fake()));
    expect(batches.map((b) => b.shape)).toEqual([[2, 2], [2, 2]]); // the fifth sample is left over
    expect(Array.from(batches[0].data)).toEqual([10, 11, 20, 21]);
    expect(Array.from(batches[1].data)).toEqual([30, 31, 40, 41]);
  });
  it('splits files holding several samples across batches and can keep the remainder', async () => {
    const batches = await collect(makeBatches(['1', '2'], 4, fake(3), { keepRemainder: true }));
    expect(batches.map((b) => b.shape[0])).toEqual([4, 2]);
    expect(Array.from(batches[0].data)).toEqual([10, 11, 12, 13, 14, 15, 20, 21]);
    expect(Array.from(batches[1].data)).toEqual([22, 23, 24, 25]);
  });
  it('is lazy: loads only the files the consumer reads', async () => {
    const seen: string[] = [];
    const loader: SampleLoader = async (f) => {
      seen.push(f);
      return fake()(f);
    };
    const it = makeBatches(['1', '2', '3', '4'], 1, loader);
    await it.next();
    expect(seen).toEqual(['1']);
  });
  it('rejects mixed sample shapes, naming both files', async () => {
    const loader: SampleLoader = async (f) => (f === '2' ? { data: new Float32Array(3), shape: [1, 3] } : fake()(f));
    await expect(collect(makeBatches(['1', '2'], 2, loader))).rejects.toThrow(/sample shape \[3\] differs from \[2\] of 1 \(file 2\)/);
  });
  it('wraps unexpected loader errors with the file name', async () => {
    const loader: SampleLoader = async () => {
      throw new RangeError('boom');
    };
    await expect(collect(makeBatches(['f.npy'], 1, loader))).rejects.toMatchObject({ code: 'FILE_READ_FAILED', file: 'f.npy' });
  });
  it('rejects a bad batch size', async () => {
    await expect(collect(makeBatches(['1'], 0, fake()))).rejects.toThrow(/positive integer/);
  });
});

describe('loaders', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'amct-loaders-'));
  });
  afterAll(() => fs.promises.rm(dir, { recursive: true }));

  it('npy: one sample, or a stack of samples, of the input shape', async () => {
    const one = path.join(dir, 'one.npy');
    const many = path.join(dir, 'many.npy');
    const bad = path.join(dir, 'bad.npy');
    fs.writeFileSync(one, encodeNpy({ dtype: 'uint8', shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) }));
    fs.writeFileSync(many, encodeNpy({ dtype: 'float32', shape: [3, 2, 2], data: new Float32Array(12) }));
    fs.writeFileSync(bad, encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) }));
    const load = npyLoader([2, 2]);
    const s = await load(one);
    expect(s.shape).toEqual([1, 2, 2]);
    expect(s.data).toBeInstanceOf(Float32Array);
    expect(Array.from(s.data)).toEqual([1, 2, 3, 4]);
    expect((await load(many)).shape).toEqual([3, 2, 2]);
    await expect(load(bad)).rejects.toThrow(/shape \[4\] does not hold samples of shape \[2,2\]/);
  });

  it('bin: reads with the given dtype', async () => {
    const f = path.join(dir, 'x.bin');
    fs.writeFileSync(f, Buffer.from([1, 2, 3, 4]));
    expect(Array.from((await binLoader([2], 'uint8')(f)).data)).toEqual([1, 2, 3, 4]);
  });

  it('image: preprocesses to [1,h,w,c]', async () => {
    const f = path.join(dir, 'p.png');
    const p = new PNG({ width: 2, height: 2 });
    p.data = Buffer.from([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255]);
    fs.writeFileSync(f, PNG.sync.write(p));
    const s = await imageLoader({ size: [4, 4], mean: [127.5], std: [127.5] })(f);
    expect(s.shape).toEqual([1, 4, 4, 3]);
    // Columns are 0 and 255 → resized row 0, 63.75, 191.25, 255 → normalised -1, -0.5, 0.5, 1.
    expect([0, 1, 2, 3].map((x) => s.data[x * 3])).toEqual([-1, -0.5, 0.5, 1]);
  });
});
