#!/usr/bin/env node
/**
 * The `amct-ts` command line. main() takes argv and the streams as arguments and returns
 * the exit code instead of exiting, so tests run it in-process.
 * Exit codes: 0 success, 1 a failure while calibrating or analyzing, 2 a bad command line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isAmctError } from '../errors';
import { setLoggingLevel } from '../log';
import { AnalyzeDeps, loadAnalyzeDeps, runAnalyze } from './analyze';
import { ANALYZE_HELP } from './analyze-help';
import { parseAnalyzeArgs } from './analyze-options';
import { runAutoCalibration } from './auto-calibrate';
import { CliIO, runCalibration } from './calibrate';
import { CalibrationDeps, loadRealDeps } from './deps';
import { CALIBRATION_HELP, MAIN_HELP } from './help';
import { INSPECT_HELP, InspectDeps, loadInspectDeps, parseInspectArgs, runInspect } from './inspect';
import { parseCalibrationArgs } from './options';
import { UsageError } from './usage-error';

export interface MainContext extends Partial<CliIO> {
  /** Supplies the SDK functions; the real API by default (loaded only when needed). */
  deps?: () => Promise<CalibrationDeps>;
  /** Supplies loadGraph and inspectModel for `inspect`; the real ones by default. */
  inspectDeps?: () => Promise<InspectDeps>;
  /** Supplies analyzeAccuracy for `amct-ts analyze`; the real API by default. */
  analyzeDeps?: () => Promise<AnalyzeDeps>;
}

export async function main(argv: string[], ctx: MainContext = {}): Promise<number> {
  const io: CliIO = {
    stdout: ctx.stdout ?? process.stdout,
    stderr: ctx.stderr ?? process.stderr,
    isTTY: ctx.isTTY ?? process.stderr.isTTY === true,
  };
  const verbose = argv.includes('--verbose');
  try {
    if (argv[0] === 'analyze') return await analyze(argv.slice(1), io, ctx.analyzeDeps ?? loadAnalyzeDeps);
    return await dispatch(argv, io, ctx.deps ?? loadRealDeps, ctx.inspectDeps ?? loadInspectDeps);
  } catch (e) {
    return report(e, io, verbose);
  }
}

async function dispatch(argv: string[], io: CliIO, deps: () => Promise<CalibrationDeps>, inspectDeps: () => Promise<InspectDeps>): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr.write(MAIN_HELP);
    return 2;
  }
  if (['-h', '--help', '--h', 'help'].includes(command)) {
    io.stdout.write(MAIN_HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command === 'inspect') {
    const args = parseInspectArgs(rest);
    if (!args) io.stdout.write(INSPECT_HELP);
    else await runInspect(args, await inspectDeps(), io.stdout);
    return 0;
  }
  if (command !== 'calibration') {
    throw new UsageError(`unknown command "${command}"`, { hint: 'the commands are "calibration", "inspect" and "analyze"; run "amct-ts --help"' });
  }
  const options = parseCalibrationArgs(rest);
  if (!options) {
    io.stdout.write(CALIBRATION_HELP);
    return 0;
  }
  if (options.verbose) setLoggingLevel('info', 'info');
  if (options.evaluator !== undefined) await runAutoCalibration(options, await deps(), io);
  else await runCalibration(options, await deps(), io);
  return 0;
}

async function analyze(argv: string[], io: CliIO, deps: () => Promise<AnalyzeDeps>): Promise<number> {
  const options = parseAnalyzeArgs(argv);
  if (!options) {
    io.stdout.write(ANALYZE_HELP);
    return 0;
  }
  if (options.verbose) setLoggingLevel('info', 'info');
  await runAnalyze(options, await deps(), io);
  return 0;
}

/** One line per failure; stacks only with --verbose, since users act on the message and hint. */
function report(e: unknown, io: CliIO, verbose: boolean): number {
  if (isAmctError(e)) {
    io.stderr.write(`amct-ts: error: ${e.message}\n`);
    if (verbose) io.stderr.write(stackOf(e));
    return e instanceof UsageError ? 2 : 1;
  }
  const message = typeof (e as Error)?.message === 'string' ? (e as Error).message : String(e);
  io.stderr.write(`amct-ts: internal error: ${message}${verbose ? '' : ' (run with --verbose for the stack trace)'}\n`);
  if (verbose) io.stderr.write(stackOf(e));
  return 1;
}

function stackOf(e: unknown): string {
  let text = '';
  for (let cur = e as Error | undefined, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = cur.cause as Error | undefined, depth++) {
    text += `${depth > 0 ? 'Caused by: ' : ''}${cur.stack ?? cur.message}\n`;
  }
  return text;
}

/** package.json sits two levels up from both src/cli and dist/cli. */
function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
