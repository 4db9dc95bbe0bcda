import { arq } from '../../src/calib';
import { expandDepthwiseScale } from '../../src/quant';
import { CalibrationError, QuantizeError } from '../../src/errors';

const f32 = Math.fround;

describe('ARQ', () => {
  test('Conv2D HWIO [1,1,2,3]: per output channel, axis 3', () => {
    // Row-major HWIO with I = 2, O = 3: element (i, o) at index i·3 + o.
    //   i=0: [ 1.27, -0.5,  0 ]
    //   i=1: [-0.3,   2.54, 0 ]
    // max|w| per o: 1.27, 2.54, 0 → scale 0.01, 0.02, and 1 for the all-zero channel.
    const w = Float32Array.from([1.27, -0.5, 0, -0.3, 2.54, 0]);
    const r = arq(w, [1, 1, 2, 3], 3);
    expect(Array.from(r.scale)).toEqual([f32(f32(1.27) / 127), f32(f32(2.54) / 127), 1]);
    expect(r.scale[0]).toBeCloseTo(0.01, 9);
    expect(Array.from(r.offset)).toEqual([0, 0, 0]);
  });

  test('per tensor (MatMul) and negative extremes', () => {
    // max|w| = |−2.54| = 2.54 → 2.54/127 = 0.02 (SPEC: always /127, offset 0)
    const r = arq(Float32Array.from([1, -2.54, 0.5, 2]), [2, 2], undefined);
    expect(Array.from(r.scale)).toEqual([f32(f32(2.54) / 127)]);
    expect(Array.from(r.offset)).toEqual([0]);
  });

  test('all-zero and denormal-small weights get scale 1', () => {
    expect(Array.from(arq(new Float32Array(6), [2, 3], 1).scale)).toEqual([1, 1, 1]);
    // 1e-6/127 = 7.9e-9 < FLT_EPSILON → 1, as AMCT's ProcessScale does
    expect(Array.from(arq(Float32Array.from([1e-6]), [1], undefined).scale)).toEqual([1]);
  });

  test('DepthwiseConv2dNative HWCM [1,1,2,2]: per input channel (axis 2), shared by its M outputs', () => {
    // index = c·M + m: c=0 → [0.127, −0.254], c=1 → [0.0127, 0.00635]
    const w = Float32Array.from([0.127, -0.254, 0.0127, 0.00635]);
    const r = arq(w, [1, 1, 2, 2], 2);
    expect(Array.from(r.scale)).toEqual([f32(f32(0.254) / 127), f32(f32(0.0127) / 127)]);
    // deq_scale is per output channel c·M + m: each scale repeated M times
    expect(Array.from(expandDepthwiseScale(r.scale, 2))).toEqual([r.scale[0], r.scale[0], r.scale[1], r.scale[1]]);
  });

  test('Conv2DBackpropInput HWOI axis 2 and Conv3D DHWIO axis 4', () => {
    // HWOI [1,2,2,1]: index = w·2 + o → o=0: {1, 3}, o=1: {−2, 0.5}
    const t = arq(Float32Array.from([1, -2, 3, 0.5]), [1, 2, 2, 1], 2);
    expect(Array.from(t.scale)).toEqual([f32(3 / 127), f32(2 / 127)]);
    // DHWIO [1,1,1,1,2], negative axis counts from the end
    const c3 = arq(Float32Array.from([-1.27, 0.254]), [1, 1, 1, 1, 2], -1);
    expect(Array.from(c3.scale)).toEqual([f32(f32(1.27) / 127), f32(f32(0.254) / 127)]);
  });

  test('errors: NaN names the layer; shape mismatch; bad axis', () => {
    expect(() => arq(Float32Array.from([1, NaN]), [2], undefined, 8, 'net/conv/Conv2D')).toThrow(/net\/conv\/Conv2D.*NaN/);
    expect(() => arq(Float32Array.from([1, NaN]), [2], undefined)).toThrow(CalibrationError);
    expect(() => arq(new Float32Array(5), [2, 3], 1)).toThrow(QuantizeError);
    expect(() => arq(new Float32Array(6), [2, 3], 2)).toThrow(/axis/);
  });
});
