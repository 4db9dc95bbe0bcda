/**
 * The SDK's logger. AMCT's set_logging_level(print_level, save_level) maps to
 * setLoggingLevel(printLevel, saveLevel): messages at or above printLevel go to stderr;
 * at or above saveLevel they are appended to the log file (AMCT_LOG_FILE, default
 * ./amct_log/amct_tensorflow.log is AMCT's; we only write a file when a path is set).
 */
import * as fs from 'fs';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

let printLevel: LogLevel = (process.env.AMCT_LOG_LEVEL?.toLowerCase() as LogLevel) in ORDER ? (process.env.AMCT_LOG_LEVEL!.toLowerCase() as LogLevel) : 'warning';
let saveLevel: LogLevel = 'info';
let logFile: string | undefined = process.env.AMCT_LOG_FILE;
const onceKeys = new Set<string>();

function normalize(level: string): LogLevel {
  const l = level.toLowerCase();
  if (l === 'warn') return 'warning';
  if (!(l in ORDER)) throw new TypeError(`unknown log level "${level}"; use debug, info, warning or error`);
  return l as LogLevel;
}

export function setLoggingLevel(print: string = 'info', save: string = 'info', file?: string): void {
  printLevel = normalize(print);
  saveLevel = normalize(save);
  if (file !== undefined) logFile = file;
}

function emit(level: LogLevel, message: string): void {
  const line = `[AMCT][${level.toUpperCase()}] ${message}`;
  if (ORDER[level] >= ORDER[printLevel]) process.stderr.write(line + '\n');
  if (logFile && ORDER[level] >= ORDER[saveLevel]) {
    try {
      fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
    } catch {
      logFile = undefined; // an unwritable log file must never break quantization
    }
  }
}

export const log = {
  debug: (m: string) => emit('debug', m),
  info: (m: string) => emit('info', m),
  warn: (m: string) => emit('warning', m),
  error: (m: string) => emit('error', m),
  /** Logs a message only the first time `key` is seen in this process. */
  once: (key: string, level: LogLevel, m: string) => {
    if (onceKeys.has(key)) return;
    onceKeys.add(key);
    emit(level, m);
  },
};
