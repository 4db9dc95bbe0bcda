import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatFloat32, formatRecord, KeyedLayerRecord, LayerRecord, parseRecord, readRecord, writeRecord } from '../../src/record';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'record');
const fixture = (name: string) => fsp.readFile(path.join(FIXTURES, name), 'utf8');

const rec = (r: Partial<LayerRecord>): LayerRecord => ({ scaleW: [], offsetW: [], shiftBit: [], ...r });

describe('SPEC §5 example', () => {
  it('reads back the exact values', async () => {
    const records = parseRecord(await fixture('spec-example.txt'), 'spec-example.txt');
    expect([...records.keys()]).toEqual(['MobilenetV2/expanded_conv_11/project/Conv2D']);
    const r = records.get('MobilenetV2/expanded_conv_11/project/Conv2D')!;
    expect(r.scaleD).toBe(Math.fround(6 / 255));
    expect(r.offsetD).toBe(-128);
    expect(r.scaleW).toEqual([Math.fround(0.0057903952), Math.fround(0.00414686929)]);
    expect(r.offsetW).toEqual([0, 0]);
    expect(r.shiftBit).toEqual([]);
    expect(Object.keys(r).sort()).toEqual(['offsetD', 'offsetW', 'scaleD', 'scaleW', 'shiftBit']);
  });

  it('re-writes byte-identical', async () => {
    const text = await fixture('spec-example.txt');
    expect(formatRecord(parseRecord(text))).toBe(text);
  });

  it('is what the writer produces from calibration numbers', async () => {
    const records = new Map([
      ['MobilenetV2/expanded_conv_11/project/Conv2D', rec({ scaleD: 6 / 255, offsetD: -128, scaleW: [0.0057903952, 0.00414686929], offsetW: [0, 0] })],
    ]);
    expect(formatRecord(records)).toBe(await fixture('spec-example.txt'));
  });
});

describe('multi-layer golden file', () => {
  const layers: KeyedLayerRecord[] = [
    { key: 'MobilenetV2/Conv/Conv2D', ...rec({ scaleD: 1 / 128, offsetD: -1, scaleW: [0.0123456789, 0.5, 1], offsetW: [0, 0, 0] }) },
    { key: 'MobilenetV2/Logits/AvgPool', ...rec({ scaleD: 6 / 255, offsetD: -128, shiftBit: [1], skipFusion: true, dstType: 'INT8' }) },
    {
      key: 'MobilenetV2/Logits/Conv2d_1c_1x1/MatMul',
      ...rec({ scaleD: 1e-5, offsetD: 0, scaleW: [3.4028234663852886e38], offsetW: [0], actType: 'INT8', wtsType: 'INT8' }),
    },
    { key: 'block_1/add:1', ...rec({ scaleD: 1.5e-5, offsetD: 127 }) },
    { key: 'odd "name"\\with\tescapesé', ...rec({ scaleD: 123456, offsetD: -128 }) },
  ];

  it('formats a list of keyed records as the golden file', async () => {
    expect(formatRecord(layers)).toBe(await fixture('multi-layer.txt'));
  });

  it('reads every field back and re-writes byte-identical', async () => {
    const text = await fixture('multi-layer.txt');
    const records = parseRecord(text, 'multi-layer.txt');
    expect([...records.keys()]).toEqual(layers.map((l) => l.key));
    const avg = records.get('MobilenetV2/Logits/AvgPool')!;
    expect(avg).toEqual(rec({ scaleD: Math.fround(6 / 255), offsetD: -128, shiftBit: [1], skipFusion: true, dstType: 'INT8' }));
    expect(records.get('odd "name"\\with\tescapesé')!.scaleD).toBe(123456);
    expect(formatRecord(records)).toBe(text);
  });

  it('round-trips through writeRecord and readRecord, atomically', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'amct-record-'));
    const file = path.join(dir, 'record.txt');
    await fsp.writeFile(file, 'old');
    await writeRecord(file, layers);
    expect(await fsp.readdir(dir)).toEqual(['record.txt']); // no temp file left behind
    expect(await fsp.readFile(file, 'utf8')).toBe(await fixture('multi-layer.txt'));
    const back = await readRecord(file);
    expect(back.file).toBe(file);
    expect(formatRecord(back)).toBe(formatRecord(layers));
    await fsp.rm(dir, { recursive: true });
  });
});

describe('floats', () => {
  it.each([
    [6 / 255, '0.0235294122'],
    [0.00414686929, '0.00414686929'],
    [0.0057903952, '0.0057903952'],
    [1, '1'],
    [0.5, '0.5'],
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [1.5e-5, '1.5e-05'],
    [0.0001, '0.0001'],
    [123456, '123456'],
    [1234567, '1234567'],
    [1e10, '1e+10'],
    [-0.25, '-0.25'],
    [2 ** -10, '0.0009765625'],
    [3.4028234663852886e38, '3.40282347e+38'],
    [1.401298464324817e-45, '1.4013e-45'],
    [31250.03125, '31250.0312'], // exact tie at 9 digits: printf rounds half to even, toPrecision would give ...313
    [31250.15625, '31250.1562'],
  ])('writes %p as %s', (value, text) => {
    expect(formatFloat32(value)).toBe(text);
  });

  it('reads back every random float32 exactly, with at most 9 significant digits', () => {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    const bad: string[] = [];
    let seed = 12345;
    for (let i = 0; i < 20000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bits[0] = seed;
      const v = f[0];
      if (!Number.isFinite(v)) continue;
      const s = formatFloat32(v);
      const mantissa = s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
      if (Math.fround(Number(s)) !== v || mantissa.length > 9) bad.push(`${v} -> ${s}`);
    }
    expect(bad).toEqual([]);
  });

  it('uses 6 digits whenever they read back (protobuf FLT_DIG rule)', () => {
    for (const v of [0.3, 0.7, 1.3, 0.01, 0.999999, 255, 6.5e-7]) {
      const s = formatFloat32(v);
      expect(s.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(6);
    }
  });

  it('accepts plain, exponent and suffixed spellings when reading', () => {
    const text = ['1e-05', '1E-5', '0.00001', '1.0e-5', '.00001', '1e-5f'].map(
      (s, i) => `record { key: "l${i}" value { scale_d: ${s} } }`,
    ).join('\n');
    for (const r of parseRecord(text).values()) expect(r.scaleD).toBe(Math.fround(1e-5));
    expect(parseRecord('record { key: "a" value { scale_d: 1.0 scale_w: 2 } }').get('a')).toEqual(rec({ scaleD: 1, scaleW: [2] }));
  });
});
