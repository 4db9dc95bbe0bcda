/**
 * `amct-ts analyze`: analyzeAccuracy (SPEC §9) from the command line. Reads --batch_num
 * batches from --data_dir exactly as the calibration command does, compares the float
 * model with the INT8 model its --record_file makes, writes --report and prints the
 * worst 10 layers and the output metrics. Progress per batch on stderr.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AccuracyReport, LayerAccuracy } from '../analysis';
import type { AnalyzeOptions } from '../analysis';
import { formatCosine, formatDb, formatRelL2 } from '../analysis/report-format';
import { CalibrationError } from '../errors';
import type { Graph } from '../ir';
import type { CliIO } from './calibrate';
import type { Feed } from './deps';
import { checkAgainstGraph, checkOutputs, feedBatches, prepareInput } from './inputs';
import type { PreparedInput } from './inputs';
import type { AnalyzeCliOptions } from './analyze-options';
import { ProgressBar } from './progress';

/** Rows of the printed table. */
export const WORST_PRINTED = 10;

export interface AnalyzeDeps {
  loadGraph(path: string): Promise<Graph>;
  analyzeAccuracy(model: string, outputs: string[], recordFile: string, batches: Record<string, Feed>[], options: AnalyzeOptions): Promise<AccuracyReport>;
}

/** The real API, loaded only when an analysis runs (so --help never loads tfjs). */
export async function loadAnalyzeDeps(): Promise<AnalyzeDeps> {
  const api = await import('../index');
  return { loadGraph: api.loadGraph, analyzeAccuracy: api.analyzeAccuracy };
}

export async function runAnalyze(options: AnalyzeCliOptions, deps: AnalyzeDeps, io: CliIO): Promise<AccuracyReport> {
  const inputs: PreparedInput[] = [];
  for (const spec of options.inputs) inputs.push(await prepareInput(spec, options));
  const graph = await deps.loadGraph(options.model);
  checkOutputs(graph, options.outputs);
  checkAgainstGraph(graph, inputs);
  const batches = await readBatches(inputs, options.batchNum);
  await fs.promises.mkdir(path.dirname(path.resolve(options.report)), { recursive: true });
  const bar = new ProgressBar(batches.length, io.stderr, { tty: io.isTTY, label: 'analysis' });
  let report: AccuracyReport;
  try {
    report = await deps.analyzeAccuracy(options.model, options.outputs, options.recordFile, batches, {
      reportFile: options.report,
      backend: options.backend as AnalyzeOptions['backend'],
      onProgress: (done) => bar.update(done),
    });
  } finally {
    bar.finish();
  }
  io.stdout.write(formatAnalysis(report));
  return report;
}

async function readBatches(inputs: PreparedInput[], batchNum: number): Promise<Record<string, Feed>[]> {
  const batches: Record<string, Feed>[] = [];
  for await (const feeds of feedBatches(inputs, batchNum, tooFewSamples)) batches.push(feeds);
  return batches;
}

function tooFewSamples(input: PreparedInput, have: number, need: number): CalibrationError {
  return new CalibrationError('CALIBRATION_INCOMPLETE', `data for input "${input.spec.name}" holds ${have} samples, but ${need / input.batchSize} batches of ${input.batchSize} need ${need}`, {
    file: input.spec.dataDir,
    hint: 'add files, or lower --batch_num or --batch_size',
  });
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : i === 0 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
}

/** The worst layers as a table: numbers first, the (often long) layer name last. */
export function formatWorstTable(layers: readonly LayerAccuracy[]): string {
  const head = ['#', 'isolated cos', 'iso SQNR dB', 'cumulative cos', 'cum SQNR dB', 'op', 'layer'];
  const rows = layers.map((l, i) => [String(i + 1), formatCosine(l.isolated.cosine), formatDb(l.isolated.sqnrDb), formatCosine(l.cumulative.cosine), formatDb(l.cumulative.sqnrDb), l.op, l.layer]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  return [head, ...rows].map((r) => `  ${row(r, widths)}`).join('\n') + '\n';
}

export function formatAnalysis(report: AccuracyReport): string {
  const worst = report.worst.slice(0, WORST_PRINTED);
  const lines = [
    `Analyzed ${report.layers.length} quantized layer(s) on ${report.batches} batch${report.batches === 1 ? '' : 'es'}.`,
    `Worst ${worst.length} by isolated error (only that layer quantized, fed float activations):`,
  ];
  let text = lines.join('\n') + '\n' + formatWorstTable(worst);
  text += 'Outputs (INT8 vs float):\n';
  for (const o of report.outputs) text += `  ${o.output}: cosine ${formatCosine(o.metrics.cosine)}, SQNR ${formatDb(o.metrics.sqnrDb)} dB, relative L2 ${formatRelL2(o.metrics.relL2)}\n`;
  if (report.reportFile) text += `Report written: ${report.reportFile}\n`;
  return text;
}
