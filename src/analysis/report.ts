/**
 * Writing analyzeAccuracy's report: `.json` (the report object; non-finite numbers, such
 * as the SQNR of a layer INT8 reproduces exactly, as the strings "Infinity", "-Infinity",
 * "NaN", since JSON has no such numbers) or `.html` (report-html.ts). Atomic, and never
 * over one of the files the report was made from.
 */
import { FileFormatError } from '../errors';
import { writeFileAtomic } from '../io';
import { log } from '../log';
import type { AccuracyReport } from './analyze';
import { renderHtmlReport } from './report-html';

export type ReportFormat = 'json' | 'html';

export function reportFormat(file: string): ReportFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  return undefined;
}

/** The report path, checked before any work is done. */
export function checkReportFile(file: unknown): string {
  if (typeof file !== 'string' || file.length === 0) {
    throw new FileFormatError('INVALID_ARGUMENT', 'reportFile must be a non-empty path ending in .json or .html', { hint: `got ${JSON.stringify(file)}` });
  }
  if (!reportFormat(file)) {
    throw new FileFormatError('UNSUPPORTED_FORMAT', `cannot write a report as ${file}: the name must end in .json or .html`, {
      file,
      hint: 'use report.json for the data, report.html for a page to open in a browser',
    });
  }
  return file;
}

function finiteOrText(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

export function reportJson(report: AccuracyReport): string {
  return JSON.stringify(report, finiteOrText, 2) + '\n';
}

export async function writeReport(file: string, report: AccuracyReport, inputs: readonly string[]): Promise<void> {
  const text = reportFormat(file) === 'html' ? renderHtmlReport(report) : reportJson(report);
  await writeFileAtomic(file, text, { inputs });
  log.info(`analyzeAccuracy: wrote ${file}`);
}
