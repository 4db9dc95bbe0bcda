/**
 * Image preprocessing on float32 HWC images, matching TensorFlow's defaults so a model
 * calibrates on the same pixels it was trained and evaluated on.
 */
import { AmctError } from '../errors';
import { Image } from './image';

/**
 * Bilinear resize as tf.image.resize(method='bilinear') in TF2 computes it:
 * align_corners=false with half-pixel centres (source = (dst + 0.5)·in/out − 0.5),
 * neighbours clamped to the edge, no antialiasing.
 */
export function resizeBilinear(img: Image, outH: number, outW: number): Image {
  const { height: inH, width: inW, channels: c } = img;
  if (outH === inH && outW === inW) return { ...img, data: img.data.slice() };
  const ys = axisWeights(inH, outH);
  const xs = axisWeights(inW, outW);
  const out = new Float32Array(outH * outW * c);
  const src = img.data;
  for (let y = 0; y < outH; y++) {
    const { lo: y0, hi: y1, t: ty } = ys[y];
    for (let x = 0; x < outW; x++) {
      const { lo: x0, hi: x1, t: tx } = xs[x];
      const a = (y0 * inW + x0) * c;
      const b = (y0 * inW + x1) * c;
      const d = (y1 * inW + x0) * c;
      const e = (y1 * inW + x1) * c;
      const o = (y * outW + x) * c;
      for (let k = 0; k < c; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * tx;
        const bottom = src[d + k] + (src[e + k] - src[d + k]) * tx;
        out[o + k] = top + (bottom - top) * ty;
      }
    }
  }
  return { data: out, height: outH, width: outW, channels: c };
}

interface AxisWeight {
  lo: number;
  hi: number;
  t: number;
}

/** Per output index: the two source indices and the weight of the upper one (TF's compute_interpolation_weights). */
function axisWeights(inSize: number, outSize: number): AxisWeight[] {
  const scale = inSize / outSize;
  const out: AxisWeight[] = [];
  for (let i = 0; i < outSize; i++) {
    const s = (i + 0.5) * scale - 0.5;
    const f = Math.floor(s);
    out.push({ lo: Math.max(f, 0), hi: Math.min(Math.ceil(s), inSize - 1), t: s - f });
  }
  return out;
}

/** tf.image.central_crop: keeps the central `fraction` of height and width (0 < fraction ≤ 1). */
export function centerCrop(img: Image, fraction: number): Image {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new AmctError('INVALID_ARGUMENT', `center crop fraction ${fraction} is outside (0, 1]`, {
      hint: 'use e.g. 0.875, the fraction Inception/MobileNet evaluation uses',
    });
  }
  if (fraction === 1) return img;
  const top = Math.trunc((img.height - img.height * fraction) / 2);
  const left = Math.trunc((img.width - img.width * fraction) / 2);
  return cropRegion(img, top, left, img.height - 2 * top, img.width - 2 * left);
}

/** The height×width window whose top-left pixel is (top, left); it must lie inside the image. */
export function cropRegion(img: Image, top: number, left: number, height: number, width: number): Image {
  if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > img.height || left + width > img.width) {
    throw new AmctError('INVALID_ARGUMENT', `crop ${height}×${width} at (${top}, ${left}) does not fit a ${img.height}×${img.width} image`, {
      hint: 'keep the crop window inside the image',
    });
  }
  const c = img.channels;
  const out = new Float32Array(height * width * c);
  for (let y = 0; y < height; y++) {
    const from = ((y + top) * img.width + left) * c;
    out.set(img.data.subarray(from, from + width * c), y * width * c);
  }
  return { data: out, height, width, channels: c };
}

/** Mirror left-right (tf.image.flip_left_right), for augmenting a small calibration set. */
export function flipHorizontal(img: Image): Image {
  const { height: h, width: w, channels: c } = img;
  const out = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (y * w + x) * c;
      out.set(img.data.subarray(from, from + c), (y * w + (w - 1 - x)) * c);
    }
  }
  return { ...img, data: out };
}

export type ChannelOrder = 'RGB' | 'BGR';

/** RGB input to the model's layout: BGR for Caffe-style models, 1 channel by tf.image.rgb_to_grayscale's weights. */
export function toChannels(img: Image, order: ChannelOrder, channels: 1 | 3 = 3): Image {
  const n = img.height * img.width;
  const src = img.data;
  if (channels === 1) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = 0.2989 * src[i * 3] + 0.587 * src[i * 3 + 1] + 0.114 * src[i * 3 + 2];
    return { ...img, data: out, channels: 1 };
  }
  if (order === 'RGB') return img;
  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    out[i * 3] = src[i * 3 + 2];
    out[i * 3 + 1] = src[i * 3 + 1];
    out[i * 3 + 2] = src[i * 3];
  }
  return { ...img, data: out };
}

export interface Normalization {
  /** Divide by 255 first, so mean/std are given for [0, 1] pixels (PyTorch/Keras style). */
  unitRange?: boolean;
  /** One value or one per channel, in the output channel order. Default 0. */
  mean?: number[];
  /** One value or one per channel, in the output channel order. Default 1. */
  std?: number[];
}

/** y = (x·(1/255 if unitRange) − mean[c]) / std[c]. */
export function normalize(img: Image, norm: Normalization): Image {
  const c = img.channels;
  const mean = perChannel(norm.mean ?? [0], c, 'mean');
  const std = perChannel(norm.std ?? [1], c, 'std');
  if (std.some((s) => s === 0 || !Number.isFinite(s))) {
    throw new AmctError('INVALID_ARGUMENT', 'std values must be finite and non-zero', { hint: 'e.g. --std 127.5,127.5,127.5' });
  }
  const scale = norm.unitRange ? 1 / 255 : 1;
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = i % c;
    out[i] = (img.data[i] * scale - mean[k]) / std[k];
  }
  return { ...img, data: out };
}

function perChannel(values: number[], channels: number, what: string): number[] {
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) {
    throw new AmctError('INVALID_ARGUMENT', `${what} has ${values.length} values but the image has ${channels} channels`, {
      hint: `give one value, or one per channel`,
    });
  }
  return values;
}

export interface ImagePreprocess extends Normalization {
  /** Output [height, width]; omitted keeps the (cropped) size. */
  size?: [number, number];
  /** tf.image.central_crop fraction applied before resizing. */
  centralFraction?: number;
  flip?: boolean;
  channelOrder?: ChannelOrder;
  channels?: 1 | 3;
}

/** Crop → resize → flip → channel order → normalise, the usual TF evaluation order. */
export function preprocessImage(img: Image, p: ImagePreprocess): Image {
  let out = p.centralFraction !== undefined ? centerCrop(img, p.centralFraction) : img;
  if (p.size) out = resizeBilinear(out, p.size[0], p.size[1]);
  if (p.flip) out = flipHorizontal(out);
  out = toChannels(out, p.channelOrder ?? 'RGB', p.channels ?? 3);
  return normalize(out, p);
}
