import * as path from 'path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { FileFormatError } from '../../src/errors';
import { decodeImage, readImage, sniffImageFormat } from '../../src/data';

const SAMPLES = path.join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'face-api', 'demo');

function channelMeans(data: Float32Array): number[] {
  const sums = [0, 0, 0];
  for (let i = 0; i < data.length; i++) sums[i % 3] += data[i];
  return sums.map((s) => s / (data.length / 3));
}

describe('JPEG decoding of the face-api demo photos', () => {
  // Measured once with jpeg-js 0.4.4 (per-channel mean of all pixels, RGB). The decoder is
  // deterministic; 0.5 of 255 leaves room for IDCT rounding changes in other versions.
  const expected: Record<string, { h: number; w: number; mean: number[] }> = {
    'sample1.jpg': { h: 1280, w: 1920, mean: [45.392, 34.899, 30.651] },
    'sample2.jpg': { h: 1367, w: 1920, mean: [115.438, 101.052, 105.269] },
    'sample6.jpg': { h: 1537, w: 1920, mean: [140.08, 131.153, 113.31] },
  };
  it.each(Object.keys(expected))('%s', async (name) => {
    const img = await readImage(path.join(SAMPLES, name));
    const e = expected[name];
    expect([img.height, img.width, img.channels]).toEqual([e.h, e.w, 3]);
    expect(img.data.length).toBe(e.h * e.w * 3);
    let min = Infinity;
    let max = -Infinity;
    for (const v of img.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(255);
    channelMeans(img.data).forEach((m, c) => expect(Math.abs(m - e.mean[c])).toBeLessThan(0.5));
  });
  it('decodes pixel values exactly as jpeg-js does (first pixel of sample1)', async () => {
    const img = await readImage(path.join(SAMPLES, 'sample1.jpg'));
    expect(Array.from(img.data.subarray(0, 3))).toEqual([20, 6, 11]);
  });
});

describe('PNG decoding', () => {
  function png(width: number, height: number, rgba: number[]): Uint8Array {
    const p = new PNG({ width, height });
    p.data = Buffer.from(rgba);
    return PNG.sync.write(p);
  }
  it('decodes RGBA to RGB, dropping alpha, exactly', () => {
    const img = decodeImage(png(2, 1, [255, 0, 10, 255, 1, 2, 3, 0]));
    expect([img.height, img.width, img.channels]).toEqual([1, 2, 3]);
    expect(Array.from(img.data)).toEqual([255, 0, 10, 1, 2, 3]);
  });
  it('decodes the face-api facemesh.png', async () => {
    const img = await readImage(path.join(SAMPLES, 'facemesh.png'));
    expect(img.channels).toBe(3);
    expect(img.data.length).toBe(img.height * img.width * 3);
  });
  it('tells formats by magic bytes', () => {
    expect(sniffImageFormat(png(1, 1, [0, 0, 0, 255]))).toBe('png');
    const j = jpeg.encode({ width: 1, height: 1, data: Buffer.from([9, 9, 9, 255]) }, 90).data;
    expect(sniffImageFormat(j)).toBe('jpeg');
    expect(sniffImageFormat(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});

describe('bad images', () => {
  it.each([
    ['not an image', new Uint8Array(Buffer.from('hello world')), /not a JPEG or PNG/],
    ['truncated JPEG', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a]), /cannot decode JPEG/],
    ['truncated PNG', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), /cannot decode PNG/],
  ])('%s → FileFormatError naming the file', (_n, bytes, message) => {
    let err: unknown;
    try {
      decodeImage(bytes, 'x.jpg');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FileFormatError);
    expect((err as Error).message).toMatch(message);
    expect((err as FileFormatError).file).toBe('x.jpg');
    expect((err as FileFormatError).hint).toBeTruthy();
  });
});
