import { ascendAntiQuant, ascendDequant, ascendQuant, ascendWeightQuant, packDeqScale, unpackDeqScale } from '../../src/quant';
import { QuantizeError } from '../../src/errors';

describe('deq_scale packing', () => {
  test('bit patterns written out by hand', () => {
    // 0.5·0.25 = 0.125 = 2^-3: sign 0, exponent 127−3 = 124 = 0x7C → 0x7C << 23 = 0x3E000000
    expect(packDeqScale(0.5, Float32Array.from([0.25]))[0]).toBe(0x000000003e000000n);
    // + shift_n 3 in bits 32–39 and offset_w −1 = 0xFF in bits 40–47
    expect(packDeqScale(0.5, Float32Array.from([0.25]), 3, -1)[0]).toBe(0x0000ff033e000000n);
    // 6/255 = 1.50588…·2^-6: exponent 121 = 0x79 → 0x3C800000; mantissa 0.50588…·2^23 =
    // 0x40C0C0.C0C… → rounds up to 0x40C0C1 ⇒ 0x3CC0C0C1
    expect(packDeqScale(6 / 255, Float32Array.from([1]))[0]).toBe(0x3cc0c0c1n);
    // The product is formed in float32 (Math.fround of the exact product): SPEC §5's sample
    // record 0.0235294122 · 0.0057903952 = 1.3624459e-4 → 0x390EDCE1
    expect(packDeqScale(0.0235294122, Float32Array.from([0.0057903952]))[0]).toBe(0x390edce1n);
  });

  test('per-channel shift and round trip', () => {
    const v = packDeqScale(0.5, Float32Array.from([0.25, 2]), [0, 16]);
    expect(v[1]).toBe(0x000000103f800000n); // 0.5·2 = 1.0 → 0x3F800000 (exp 127); shift 16 = 0x10
    expect(unpackDeqScale(v[0])).toEqual({ scale: 0.125, shiftN: 0, offsetW: 0 });
    expect(unpackDeqScale(0x0000ff033e000000n)).toEqual({ scale: 0.125, shiftN: 3, offsetW: -1 });
  });

  test('rejects values that do not fit their bits', () => {
    expect(() => packDeqScale(1, Float32Array.from([1]), 256)).toThrow(QuantizeError);
    expect(() => packDeqScale(1, Float32Array.from([1]), 0, 128)).toThrow(/offset_w/);
    expect(() => packDeqScale(0, Float32Array.from([1]))).toThrow(/> 0/);
  });
});

describe('AscendQuant', () => {
  test('y = clamp(round(x·scale) + offset, −128, 127) − offset', () => {
    // scale = 1/scale_d = 2, offset = −128:
    // x·2 = 0, .5, .52, 127.8, 128, 400, −2 → round 0,1,1,128,128,400,−2 → −128 → −128,−127,−127,0,0,272,−130
    // → clamp → −128,−127,−127,0,0,127,−128 → +128 → 0,1,1,128,128,255,0
    const x = Float32Array.from([0, 0.25, 0.26, 63.9, 64, 200, -1]);
    expect(Array.from(ascendQuant(x, 2, -128))).toEqual([0, 1, 1, 128, 128, 255, 0]);
    // symmetric: −2.5 → −3 (half away from zero), 300 → 127, −300 → −128
    expect(Array.from(ascendQuant(Float32Array.from([-1.25, 150, -150]), 2, 0))).toEqual([-3, 127, -128]);
  });
});

describe('AscendDequant', () => {
  const deq = packDeqScale(0.5, Float32Array.from([0.25, 0.5])); // d = [0.125, 0.25]

  test('per channel along C (last axis), no shift', () => {
    // NHWC [2, 2]: [10·0.125, −20·0.25, 300000·0.125, 7·0.25]
    const y = ascendDequant(Float32Array.from([10, -20, 300000, 7]), deq, [2, 2]);
    expect(Array.from(y)).toEqual([1.25, -5, 37500, 1.75]);
  });

  test('shift_n > 0: floor(v / 2^N) clamped to int16, then ·d·2^N', () => {
    const shifted = packDeqScale(0.5, Float32Array.from([0.25, 0.5]), 2);
    // v/4 = 2.5, −5, 75000, 1.75 → floor 2, −5, 75000 → 32767, 1
    // y = 2·0.125·4 = 1, −5·0.25·4 = −5, 32767·0.125·4 = 16383.5, 1·0.25·4 = 1
    const y = ascendDequant(Float32Array.from([10, -20, 300000, 7]), shifted, [2, 2]);
    expect(Array.from(y)).toEqual([1, -5, 16383.5, 1]);
    // floor, not truncation, for negatives: −7/4 = −1.75 → −2 → −2·0.125·4 = −1
    expect(ascendDequant(Float32Array.from([-7]), packDeqScale(0.5, Float32Array.from([0.25]), 2), [1])[0]).toBe(-1);
  });

  test('AvgPool: ksize scales up before the shift and back after', () => {
    const d = packDeqScale(0.125, Float32Array.from([1])); // per tensor [1]
    // x = 1.5 (a 2×2 average of ints summing to 6): v = 6 → 6·0.125/4 = 0.1875
    expect(ascendDequant(Float32Array.from([1.5]), d, [1, 1, 1, 1], { ksize: [2, 2] })[0]).toBe(0.1875);
    // with N = 1: x = 1.75 → v = 7 → floor(7/2) = 3 → 3·0.125·2/4 = 0.1875
    const d1 = packDeqScale(0.125, Float32Array.from([1]), 1);
    expect(ascendDequant(Float32Array.from([1.75]), d1, [1, 1, 1, 1], { ksize: [2, 2] })[0]).toBe(0.1875);
  });

  test('NCHW via channelAxis 1, and a deq_scale that fits no channel count', () => {
    // [1, 2, 1, 2]: channel = floor(i/2) → x·[0.125, 0.125, 0.25, 0.25]
    const y = ascendDequant(Float32Array.from([8, 8, 8, 8]), deq, [1, 2, 1, 2], { channelAxis: 1 });
    expect(Array.from(y)).toEqual([1, 1, 2, 2]);
    expect(() => ascendDequant(new Float32Array(6), deq, [2, 3])).toThrow(/deq_scale/);
  });
});

describe('AscendAntiQuant and AscendWeightQuant', () => {
  test('anti-quant multiplies by scale only', () => {
    // input already had the offset removed by AscendQuant: y = x·scale
    expect(Array.from(ascendAntiQuant(Float32Array.from([0, 128, 255]), 0.5, -128))).toEqual([0, 64, 127.5]);
  });

  test('weight quant subtracts offset_w, scalar or per channel', () => {
    const x = Int8Array.from([1, -2, 127, -128]);
    expect(Array.from(ascendWeightQuant(x))).toEqual([1, -2, 127, -128]);
    // shape [2, 2], channels on axis 1: offsets [1, −1] → [0, −1, 126, −127]
    expect(Array.from(ascendWeightQuant(x, Int8Array.from([1, -1]), [2, 2], 1))).toEqual([0, -1, 126, -127]);
    expect(() => ascendWeightQuant(x, Int8Array.from([1, -1]))).toThrow(/shape/);
  });
});
