import { Image, centerCrop, cropRegion, flipHorizontal, normalize, preprocessImage, resizeBilinear, toChannels } from '../../src/data';

const gray = (h: number, w: number, values: number[]): Image => ({ data: new Float32Array(values), height: h, width: w, channels: 1 });

describe('resizeBilinear (tf.image.resize bilinear: half-pixel centres, align_corners=false)', () => {
  it('2x2 → 4x4 matches values computed by hand', () => {
    // Source [[0,4],[8,12]]. Output index i samples source (i+0.5)/2-0.5 = -0.25, 0.25, 0.75, 1.25,
    // clamped at the edges: per axis weights (1,0) (.75,.25) (.25,.75) (0,1).
    const out = resizeBilinear(gray(2, 2, [0, 4, 8, 12]), 4, 4);
    expect(Array.from(out.data)).toEqual([0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
    expect([out.height, out.width, out.channels]).toEqual([4, 4, 1]);
  });
  it('4x4 → 2x2 averages 2x2 blocks (source points fall between pixels)', () => {
    const src = gray(4, 4, Array.from({ length: 16 }, (_, i) => i));
    // Output (0,0) samples source (0.5, 0.5): mean of 0,1,4,5 = 2.5.
    expect(Array.from(resizeBilinear(src, 2, 2).data)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });
  it('interpolates each channel separately', () => {
    const rgb: Image = { data: new Float32Array([0, 10, 100, 4, 14, 104]), height: 1, width: 2, channels: 3 };
    const out = resizeBilinear(rgb, 1, 4);
    expect(Array.from(out.data)).toEqual([0, 10, 100, 1, 11, 101, 3, 13, 103, 4, 14, 104]);
  });
  it('same size is a copy', () => {
    const src = gray(1, 2, [1, 2]);
    const out = resizeBilinear(src, 1, 2);
    expect(out.data).not.toBe(src.data);
    expect(Array.from(out.data)).toEqual([1, 2]);
  });
});

describe('centerCrop (tf.image.central_crop)', () => {
  it('keeps the middle', () => {
    const src = gray(4, 4, Array.from({ length: 16 }, (_, i) => i));
    expect(Array.from(centerCrop(src, 0.5).data)).toEqual([5, 6, 9, 10]);
  });
  it('rounds the offset down as TF does (5 rows at 0.875 → start 0, size 5)', () => {
    const src = gray(5, 1, [0, 1, 2, 3, 4]);
    expect(centerCrop(src, 0.875).height).toBe(5);
    expect(Array.from(centerCrop(src, 0.5).data)).toEqual([1, 2, 3]); // start trunc(1.25)=1, size 3
  });
  it('rejects fractions outside (0, 1]', () => {
    expect(() => centerCrop(gray(1, 1, [0]), 0)).toThrow(/outside \(0, 1\]/);
    expect(() => centerCrop(gray(1, 1, [0]), 1.5)).toThrow(/outside/);
  });
});

describe('flip, channels, normalisation', () => {
  it('flips left-right keeping pixels whole', () => {
    const rgb: Image = { data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), height: 2, width: 2, channels: 3 };
    expect(Array.from(flipHorizontal(rgb).data)).toEqual([4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9]);
  });
  it('reorders to BGR and makes grayscale with rgb_to_grayscale weights', () => {
    const rgb: Image = { data: new Float32Array([10, 20, 30]), height: 1, width: 1, channels: 3 };
    expect(Array.from(toChannels(rgb, 'BGR').data)).toEqual([30, 20, 10]);
    expect(toChannels(rgb, 'RGB', 1).data[0]).toBeCloseTo(0.2989 * 10 + 0.587 * 20 + 0.114 * 30, 4);
  });
  it('applies per-channel mean and std', () => {
    const rgb: Image = { data: new Float32Array([0, 127.5, 255, 255, 0, 127.5]), height: 1, width: 2, channels: 3 };
    const out = normalize(rgb, { mean: [127.5], std: [127.5] });
    expect(Array.from(out.data)).toEqual([-1, 0, 1, 1, -1, 0]);
    const imagenet = normalize(rgb, { unitRange: true, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(imagenet.data[0]).toBeCloseTo((0 - 0.485) / 0.229, 5);
    expect(imagenet.data[4]).toBeCloseTo((0 - 0.456) / 0.224, 5);
    expect(imagenet.data[5]).toBeCloseTo((0.5 - 0.406) / 0.225, 5);
  });
  it('rejects a zero std and a wrong channel count', () => {
    const rgb: Image = { data: new Float32Array(3), height: 1, width: 1, channels: 3 };
    expect(() => normalize(rgb, { std: [0] })).toThrow(/non-zero/);
    expect(() => normalize(rgb, { mean: [1, 2] })).toThrow(/2 values but the image has 3 channels/);
  });
  it('preprocessImage crops, resizes, flips, reorders, then normalises', () => {
    // 1x4 RGB row whose red channel is 0,10,20,30; crop 0.5 keeps 10,20; resize to 1x4; flip; BGR; /10.
    const data = new Float32Array(12);
    for (let x = 0; x < 4; x++) data.set([x * 10, 0, 1], x * 3);
    const out = preprocessImage({ data, height: 1, width: 4, channels: 3 }, {
      centralFraction: 0.5, size: [1, 4], flip: true, channelOrder: 'BGR', std: [10],
    });
    // crop: red 10,20 → resize 2→4: 10, 12.5, 17.5, 20 → flip: 20, 17.5, 12.5, 10; red is now channel 2.
    expect([0, 1, 2, 3].map((x) => out.data[x * 3 + 2])).toEqual([2, 1.75, 1.25, 1]);
    expect(out.data[0]).toBeCloseTo(0.1, 6); // blue 1 / 10
  });
});

describe('cropRegion', () => {
  // 3×3 single-channel image with values 0..8, row-major.
  const img = { data: Float32Array.from({ length: 9 }, (_, i) => i), height: 3, width: 3, channels: 1 };
  test('takes the window at (top, left)', () => {
    expect(Array.from(cropRegion(img, 1, 1, 2, 2).data)).toEqual([4, 5, 7, 8]);
    expect(Array.from(cropRegion(img, 0, 1, 1, 2).data)).toEqual([1, 2]);
  });
  test('a window outside the image is a typed error', () => {
    expect(() => cropRegion(img, 2, 2, 2, 2)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
