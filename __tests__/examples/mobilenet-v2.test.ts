/**
 * The MobileNetV2 example (AMCT's mobilenet_v2 calibration sample on nsfwjs's model),
 * end to end on wasm: the deployable graph's structure, and how closely the INT8 model
 * follows the float one on the 24 held-out inputs. One run takes 25–50 s on 2 shared cores.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { attrType, DataType, loadGraph } from '../../src';
import type { Graph } from '../../src';
import { MobilenetV2Result, runMobilenetV2Example } from '../../examples/mobilenet_v2/mobilenet-v2';

describe('MobileNetV2 example (nsfwjs mobilenet_v2_mid)', () => {
  let outDir: string;
  let result: MobilenetV2Result;
  let quantized: Graph;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-ts-mobilenet-'));
    result = await runMobilenetV2Example({ outDir, backend: 'wasm' });
    quantized = await loadGraph(result.files.quantizedPb);
  });

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  const ops = (op: string) => quantized.nodes().filter((n) => n.op === op);
  const consts = (dtype: DataType) => ops('Const').filter((n) => attrType(n, 'dtype') === dtype);

  it('writes the files AMCT writes', () => {
    for (const f of Object.values(result.files)) expect(fs.statSync(f).size).toBeGreaterThan(0);
    const record = fs.readFileSync(result.files.record, 'utf8');
    expect(record.match(/^record \{/gm)).toHaveLength(result.quantizedLayers.length);
  });

  it('quantizes every conv, depthwise conv and the dense layer', () => {
    // 35 _FusedConv2D + 17 FusedDepthwiseConv2dNative + 1 _FusedMatMul + the AvgPool
    expect(result.quantizedLayers).toHaveLength(54);
  });

  it('saves AscendQuant → INT8 weights → AscendDequant around each layer', () => {
    expect(ops('AscendQuant')).toHaveLength(54);
    expect(ops('AscendDequant')).toHaveLength(54);
    expect(ops('AscendWeightQuant')).toHaveLength(53); // the AvgPool has no weight
    expect(consts(DataType.DT_INT8).length).toBeGreaterThanOrEqual(53 * 2); // W_q and offset_w
    expect(consts(DataType.DT_UINT64)).toHaveLength(54); // deq_scale
    expect(ops('QuantIfmr')).toHaveLength(0);
    expect(quantized.has('Identity')).toBe(true);
  });

  it('predicts the test image as the float model does', () => {
    expect(result.quantized.index).toBe(result.origin.index);
    expect(Math.abs(result.quantized.prob - result.origin.prob)).toBeLessThan(0.05);
  });

  it('follows the float model on held-out inputs', () => {
    // Measured on wasm: mean cosine 0.9956, min 0.9711, top-1 22/24 = 91.7 %. The two
    // that flip are near-ties in the float model already (top-2 margins 0.062 and 0.003).
    expect(result.heldOut.count).toBe(24);
    expect(result.heldOut.meanCosine).toBeGreaterThanOrEqual(0.99);
    expect(result.heldOut.minCosine).toBeGreaterThanOrEqual(0.95);
    expect(result.heldOut.top1Agreement).toBeGreaterThanOrEqual(20 / 24);
  });
});
