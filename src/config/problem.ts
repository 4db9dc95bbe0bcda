import type { ErrorCode } from '../errors';

/** A config problem located by JSON pointer; load.ts turns it into a ConfigError with the line. */
export interface ConfigProblem {
  message: string;
  /** The same code buildQuantConfig uses for this problem; CONFIG_INVALID when absent. */
  code?: ErrorCode;
  /** JSON pointer of the offending value. */
  pointer: string;
  layer?: string;
  field?: string;
  hint?: string;
}

export class ConfigProblemError extends Error {
  constructor(readonly problem: ConfigProblem) {
    super(problem.message);
  }
}

export function pointerOf(...segments: (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
