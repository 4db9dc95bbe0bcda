/** Fake SDK functions for running the calibration command without tfjs. */
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import type { CalibrationDeps, Feed } from '../../src/cli/deps';
import { main } from '../../src/cli/main';
import { DataType, Graph, attr } from '../../src/ir';

export interface FakeLog {
  calls: string[];
  feeds: Record<string, Feed>[];
  fetches: string[][];
  disposedResults: number;
  sessionDisposed: boolean;
  configOptions?: unknown;
  backend?: string;
}

export interface FakeOptions {
  /** batch_num the fake createQuantConfig writes into the config (default: the one asked for). */
  configBatchNum?: number;
  placeholderDtype?: DataType;
  placeholderShape?: number[];
  failRunAt?: number;
}

export function fakeGraph(o: FakeOptions = {}): Graph {
  const g = new Graph();
  g.addNode({ name: 'input', op: 'Placeholder', attr: { dtype: attr.type(o.placeholderDtype ?? DataType.DT_FLOAT), ...(o.placeholderShape ? { shape: attr.shape(o.placeholderShape) } : {}) } });
  g.addNode({ name: 'conv', op: 'Conv2D', inputs: ['input'] });
  g.addNode({ name: 'out', op: 'Relu', inputs: ['conv'] });
  return g;
}

export function fakeDeps(o: FakeOptions = {}): { deps: CalibrationDeps; log: FakeLog } {
  const log: FakeLog = { calls: [], feeds: [], fetches: [], disposedResults: 0, sessionDisposed: false };
  const deps: CalibrationDeps = {
    loadGraph: async (p) => {
      log.calls.push(`loadGraph ${path.basename(p)}`);
      return fakeGraph(o);
    },
    createQuantConfig: async (file, _g, options) => {
      log.calls.push(`createQuantConfig ${path.basename(file)}`);
      log.configOptions = options;
      const config = { version: 1, batch_num: o.configBatchNum ?? options.batchNum, activation_offset: true, conv: { quant_enable: true }, fc: { quant_enable: false } };
      fs.writeFileSync(file, JSON.stringify(config, null, 4));
    },
    quantizeModel: async (_g, config, record, options) => {
      log.calls.push(`quantizeModel ${path.basename(config)} ${path.basename(record)}`);
      return { calibOutputs: options.calibOutputs };
    },
    createSession: async (_g, options) => {
      log.calls.push('createSession');
      log.backend = options.backend;
      return {
        run: async (fetches, feeds) => {
          log.calls.push('run');
          if (o.failRunAt === log.feeds.length) throw new Error('kernel exploded');
          log.fetches.push(fetches);
          log.feeds.push(feeds);
          return [{ dispose: () => log.disposedResults++ }];
        },
        dispose: () => {
          log.calls.push('dispose');
          log.sessionDisposed = true;
        },
      };
    },
    saveModel: async (model, outputs, record, savePath) => {
      log.calls.push(`saveModel ${path.basename(model)} ${outputs.join(',')} ${path.basename(record)} ${path.basename(savePath)}`);
      fs.writeFileSync(`${savePath}_quantized.pb`, '');
      fs.writeFileSync(`${savePath}_quant.json`, '{}');
      fs.writeFileSync(record, 'record {}\n');
    },
  };
  return { deps, log };
}

/** Writes `count` w×h PNGs whose red channel is the image index. */
export function writePngs(dir: string, count: number, w = 4, h = 4): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const p = new PNG({ width: w, height: h });
    for (let k = 0; k < w * h; k++) p.data.set([i, 100, 200, 255], k * 4);
    fs.writeFileSync(path.join(dir, `img${String(i).padStart(2, '0')}.png`), PNG.sync.write(p));
  }
}

export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

/** main() in-process, streams captured (not a TTY): exit code, stdout, stderr. `deps` stands in for the SDK (the real one when omitted). */
export async function runMain(argv: string[], deps?: CalibrationDeps): Promise<{ code: number; out: string; err: string }> {
  const io = capture();
  const code = await main(argv, { stdout: io.stdout, stderr: io.stderr, isTTY: false, ...(deps ? { deps: async () => deps } : {}) });
  return { code, out: io.out(), err: io.err() };
}
