/**
 * The calibration kernels on a tiny graph: when the record is written (exactly at
 * batch_num, once, atomically, never on fewer batches), what it holds (IFMR, HFMG and ARQ
 * results equal to the maths in src/calib fed the same tensors), and the errors a user
 * can cause while calibrating. Everything is imported from the package root, as a user
 * would: the kernels must be there without importing them.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  attrTensor, CalibrationError, createQuantConfig, Graph, quantizeModel, RecordError, Session, SessionError, toFloat32,
} from '../../src';
import { arq, HfmgAccumulator, IfmrAccumulator } from '../../src/calib';
import { quantizeWeights } from '../../src/quant';
import { readRecord } from '../../src/record';
import { calibrationMemoryBytes } from '../../src/runtime/kernels/calibration';
import { batch, snapshot, tempDir, tinyNet } from './calibration-fixtures';

const IFMR = { maxPercentile: 0.999999, minPercentile: 0.999999, searchRange: [0.7, 1.3] as [number, number], searchStep: 0.01, asymmetric: true };
const ACT2 = 'conv2/act_quant/QuantIfmr';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

/** The tiny net as a calibration graph; `cfgText` replaces the generated config's definition. */
async function calibrationGraph(batchNum: number, cfgText?: string): Promise<{ graph: Graph; record: string; output: string }> {
  const graph = tinyNet();
  const config = path.join(dir, 'config.json');
  const record = path.join(dir, 'record.txt');
  let configDefinition: string | undefined;
  if (cfgText !== undefined) {
    configDefinition = path.join(dir, 'quant.cfg');
    fs.writeFileSync(configDefinition, `batch_num: ${batchNum}\n${cfgText}`);
  }
  await createQuantConfig(config, graph, configDefinition ? { configDefinition } : { batchNum });
  const q = await quantizeModel(graph, config, record, { calibOutputs: ['bn'] });
  return { graph, record, output: q.calibOutputs[0] };
}

describe('writing the record', () => {
  it('writes it exactly when the last node reaches batch_num, and never again', async () => {
    const { graph, record, output } = await calibrationGraph(3);
    const session = await Session.create(graph, { backend: 'cpu' });
    for (const b of [1, 2]) {
      await session.run(output, { input: batch(b) });
      expect(fs.existsSync(record)).toBe(false);
    }
    await session.run(output, { input: batch(3) });
    const written = snapshot(record);
    expect([...(await readRecord(record)).keys()]).toEqual(['conv1', 'conv2']);
    await new Promise((r) => setTimeout(r, 20)); // so a rewrite would show in mtime
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const b of [4, 5]) await session.run(output, { input: batch(b, 3) });
      const extra = stderr.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('batches were already seen'));
      expect(extra).toHaveLength(1); // logged once, not per node or per run
    } finally {
      stderr.mockRestore();
    }
    expect(snapshot(record)).toEqual(written);
    expect(session.nodeState(ACT2)!.get('calibration')).toMatchObject({ recorded: true });
    session.dispose();
  });

  it('leaves an old record untouched when the calibration stops short of batch_num', async () => {
    const { graph, record, output } = await calibrationGraph(3);
    fs.writeFileSync(record, 'old record\n');
    const old = snapshot(record);
    const session = await Session.create(graph, { backend: 'cpu' });
    for (const b of [1, 2]) await session.run(output, { input: batch(b) });
    session.dispose();
    expect(snapshot(record)).toEqual(old);
    // No temp files left; quantizeModel's mark stays, so saveModel refuses the old record (stale-record.test.ts).
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'record.txt', 'record.txt.calibrating']);
  });

  it('a write failure surfaces from run; the next run retries and writes once', async () => {
    const { graph, output } = await calibrationGraph(1);
    const record = path.join(dir, 'missing', 'record.txt');
    for (const n of graph.nodes()) if (n.attr.record_file) n.attr.record_file = { kind: 's', value: new TextEncoder().encode(record) };
    const session = await Session.create(graph, { backend: 'cpu' });
    const failure = await session.run(output, { input: batch(1) }).catch((e) => e);
    expect(failure).toBeInstanceOf(RecordError);
    expect(failure.code).toBe('FILE_WRITE_FAILED');
    fs.mkdirSync(path.dirname(record));
    await session.run(output, { input: batch(2) }); // passes through, then writes batch 1's record
    expect((await readRecord(record)).size).toBe(2);
    session.dispose();
  });

  it('writes one file per record_file attribute', async () => {
    const { graph, record, output } = await calibrationGraph(2);
    const other = path.join(dir, 'other.txt');
    for (const name of [ACT2, 'conv2/weight_quant/QuantArq']) graph.getNode(name).attr.record_file = { kind: 's', value: new TextEncoder().encode(other) };
    const session = await Session.create(graph, { backend: 'cpu' });
    for (const b of [1, 2]) await session.run(output, { input: batch(b) });
    session.dispose();
    expect([...(await readRecord(record)).keys()]).toEqual(['conv1']);
    expect([...(await readRecord(other)).keys()]).toEqual(['conv2']);
  });
});

describe('what the record holds', () => {
  // wasm: the kernels read the activations as views of the wasm heap, not copies
  it.each(['cpu', 'wasm'] as const)('IFMR on a saturated ReLU6 gives 6/255 and offset -128; the record equals the accumulators fed the same tensors (%s)', async (backend) => {
    const { graph, record, output } = await calibrationGraph(3);
    const session = await Session.create(graph, { backend });
    const seen: Float32Array[][] = [[], []];
    for (const b of [1, 2, 3]) {
      const [, a1, a2] = await session.run([output, 'conv1/act_quant/QuantIfmr', ACT2], { input: batch(b, b) });
      seen[0].push(a1.data as Float32Array);
      seen[1].push(a2.data as Float32Array);
    }
    session.dispose();
    const records = await readRecord(record);
    ['conv1', 'conv2'].forEach((layer, k) => {
      const acc = new IfmrAccumulator({ ...IFMR, batchNum: 3, layer });
      for (const data of seen[k]) acc.add(data);
      const { scale, offset } = acc.result();
      expect(records.get(layer)).toMatchObject({ scaleD: scale, offsetD: offset });
    });
    expect(records.get('conv2')).toMatchObject({ scaleD: Math.fround(6 / 255), offsetD: -128 });
    expect(records.get('conv1')!.scaleW).toHaveLength(8);
    expect(records.get('conv1')!.offsetW).toEqual(new Array(8).fill(0));
    expect(records.get('conv1')!.skipFusion).toBeUndefined();
  });

  it('HFMG layers get a QuantHfmg node and the HFMG result', async () => {
    const cfg = 'override_layer_configs { layer_name: "conv2" calibration_config { hfmg_quantize { num_of_bins: 2048 } } }';
    const { graph, record, output } = await calibrationGraph(2, cfg);
    expect(graph.getNode('conv2/act_quant/QuantHfmg').attr.num_of_bins).toEqual({ kind: 'i', value: 2048 });
    const session = await Session.create(graph, { backend: 'cpu' });
    const acc = new HfmgAccumulator({ numBins: 2048, asymmetric: true, layer: 'conv2' });
    for (const b of [1, 2]) {
      const [, a2] = await session.run([output, 'conv2/act_quant/QuantHfmg'], { input: batch(b) });
      acc.add(a2.data as Float32Array);
    }
    session.dispose();
    const { scale, offset } = acc.result();
    expect((await readRecord(record)).get('conv2')).toMatchObject({ scaleD: scale, offsetD: offset });
    expect(scale).toBeCloseTo(6 / 255, 4);
  });

  it('QuantArq outputs the weight quantized and dequantized with the recorded ARQ scales', async () => {
    const { graph, record, output } = await calibrationGraph(1);
    const node = graph.getNode('conv2/weight_quant/QuantArq');
    const weight = graph.producerOf(node.inputs[0]);
    const w = toFloat32(attrTensor(weight));
    const shape = attrTensor(weight).shape.dims;
    const { scale } = arq(w, shape, 3, 8, 'conv2');
    const q = quantizeWeights(w, shape, scale, 3, 8);
    const expected = Float32Array.from(q, (v, i) => Math.fround(v * scale[i % 4]));
    const session = await Session.create(graph, { backend: 'cpu' });
    const [, out] = await session.run([output, node.name], { input: batch(1) });
    const again = await session.run(node.name, { input: batch(2) }); // cached: the same values
    session.dispose();
    expect(out.data).toEqual(expected);
    expect(again.data).toEqual(expected);
    expect(out.data).not.toEqual(w); // it is not the float weight
    expect((await readRecord(record)).get('conv2')!.scaleW).toEqual(Array.from(scale));
  });

  it('a QuantArq node whose num_bits int8 cannot hold fails its run, naming the node', async () => {
    const { graph, output } = await calibrationGraph(1);
    const node = graph.getNode('conv2/weight_quant/QuantArq');
    node.attr.num_bits = { kind: 'i', value: 9 }; // a hand-edited graph: weights would wrap in int8
    const session = await Session.create(graph, { backend: 'cpu' });
    try {
      await expect(session.run(output, { input: batch(1) })).rejects.toMatchObject({ code: 'INVALID_GRAPH', node: node.name, message: expect.stringMatching(/num_bits = 9.*\[2, 8\]/) });
    } finally {
      session.dispose();
    }
  });

  it('marks skip_fusion layers in the record', async () => {
    const { graph, record, output } = await calibrationGraph(1, 'skip_fusion_layers: "conv2"');
    expect(graph.getNode('bn').op).toBe('FusedBatchNormV3'); // not folded
    const session = await Session.create(graph, { backend: 'cpu' });
    await session.run(output, { input: batch(1) });
    session.dispose();
    const records = await readRecord(record);
    expect(records.get('conv2')!.skipFusion).toBe(true);
    expect(records.get('conv1')!.skipFusion).toBeUndefined();
  });

  it('keeps memory per node constant over the number and size of batches', async () => {
    const { graph, output } = await calibrationGraph(50);
    const session = await Session.create(graph, { backend: 'cpu' });
    await session.run(output, { input: batch(1, 1) });
    const first = calibrationMemoryBytes(session);
    for (const b of [2, 3, 4, 5]) await session.run(output, { input: batch(b, 8) });
    expect(calibrationMemoryBytes(session)).toBe(first);
    expect(first).toBeLessThan(2 * 2 ** 20); // 2 nodes × (384 KiB histogram + small tails)
    session.dispose();
  });
});

describe('calibration errors', () => {
  it('NaN or Inf in a batch is a CalibrationError naming the layer, from session.run', async () => {
    const { graph, record, output } = await calibrationGraph(2);
    const session = await Session.create(graph, { backend: 'cpu' });
    for (const bad of [NaN, Infinity]) {
      const input = batch(1);
      input.data[5] = bad;
      const e = await session.run(output, { input }).catch((x) => x);
      expect(e).toBeInstanceOf(CalibrationError);
      expect(e).toMatchObject({ code: 'CALIBRATION_DATA_INVALID', layer: 'conv1' });
      expect(e.message).toMatch(bad === bad ? /layer conv1 contains Inf/ : /layer conv1 contains NaN/);
    }
    session.dispose();
    expect(fs.existsSync(record)).toBe(false);
  });

  it('an empty batch names the layer', async () => {
    const { graph, output } = await calibrationGraph(1);
    const session = await Session.create(graph, { backend: 'cpu' });
    const e = await session.run(output, { input: { data: new Float32Array(0), shape: [0, 6, 6, 3] } }).catch((x) => x);
    session.dispose();
    expect(e).toBeInstanceOf(CalibrationError);
    expect(e).toMatchObject({ code: 'CALIBRATION_DATA_INVALID', layer: 'conv1' });
  });

  it('a missing feed is a typed SessionError and counts no batch', async () => {
    const { graph, output } = await calibrationGraph(1);
    const session = await Session.create(graph, { backend: 'cpu' });
    const e = await session.run(output, {}).catch((x) => x);
    expect(e).toBeInstanceOf(SessionError);
    expect(e.code).toBe('FEED_MISSING');
    expect(session.nodeState(ACT2)!.get('calibration')).toBeUndefined();
    session.dispose();
  });

  it('disposing the session frees the cached quantized weights', async () => {
    const { graph, output } = await calibrationGraph(1);
    const session = await Session.create(graph, { backend: 'cpu' });
    await session.run(output, { input: batch(1) });
    const cached = session.nodeState('conv1/weight_quant/QuantArq')!.get('output') as { isDisposed: boolean };
    expect(cached.isDisposed).toBe(false);
    session.dispose();
    expect(cached.isDisposed).toBe(true);
  });
});
