/**
 * The user's evaluator (SPEC §9, AMCT's AutoCalibrationEvaluatorBase): checked once up
 * front, then every call goes through here, so a method that throws, or returns NaN, a
 * string or a malformed verdict, becomes an AutoCalibrationError naming the method and
 * the trial instead of a search that silently goes wrong.
 */
import { AutoCalibrationError, describe } from '../errors';
import type { Graph } from '../ir';

type MaybePromise<T> = T | Promise<T>;

export interface AutoCalibrationEvaluator {
  /** Runs batch_num batches of calibration data through `graph` (in a Session the user creates). */
  calibration(graph: Graph, outputs: string[]): MaybePromise<unknown>;
  /** The metric of `graph` (the float model or a deployable INT8 one) on the user's data. */
  evaluate(graph: Graph, outputs: string[]): MaybePromise<number>;
  /** Whether `newMetric` is acceptable against the float model's, and the loss: [ok, loss]. */
  metricEval(originalMetric: number, newMetric: number): MaybePromise<[boolean, number]>;
}

export const EVALUATOR_METHODS = ['calibration', 'evaluate', 'metricEval'] as const;
export type EvaluatorMethod = (typeof EVALUATOR_METHODS)[number];

const SHAPE_HINT = 'pass an object with calibration(graph, outputs), evaluate(graph, outputs) → number and metricEval(original, current) → [ok, loss]; each may be async';

/** Throws EVALUATOR_INVALID unless every method is there (own or inherited, as a class instance has them). */
export function checkEvaluator(evaluator: unknown): asserts evaluator is AutoCalibrationEvaluator {
  if (evaluator === null || typeof evaluator !== 'object') {
    throw new AutoCalibrationError('EVALUATOR_INVALID', `the evaluator must be an object, got ${evaluator === null ? 'null' : typeof evaluator}`, { field: 'evaluator', hint: SHAPE_HINT });
  }
  for (const method of EVALUATOR_METHODS) {
    const f = (evaluator as Record<string, unknown>)[method];
    if (typeof f !== 'function') {
      throw new AutoCalibrationError('EVALUATOR_INVALID', `the evaluator has no method ${method}${f === undefined ? '' : ` (it is a ${typeof f})`}`, {
        field: `evaluator.${method}`,
        hint: SHAPE_HINT,
      });
    }
  }
}

/**
 * Calls the evaluator for one step of the flow. `trial` says which ("float model",
 * "all layers INT8", "trial k=3"), and appears in every error.
 */
export class EvaluatorCalls {
  constructor(private readonly evaluator: AutoCalibrationEvaluator) {}

  async calibration(graph: Graph, outputs: string[], trial: string): Promise<void> {
    await this.invoke('calibration', trial, () => this.evaluator.calibration(graph, outputs));
  }

  async evaluate(graph: Graph, outputs: string[], trial: string): Promise<number> {
    const metric = await this.invoke('evaluate', trial, () => this.evaluator.evaluate(graph, outputs));
    if (typeof metric !== 'number' || !Number.isFinite(metric)) {
      throw resultError('evaluate', trial, `returned ${show(metric)}, not a finite number`);
    }
    return metric;
  }

  async metricEval(original: number, current: number, trial: string): Promise<{ ok: boolean; loss: number }> {
    const verdict = await this.invoke('metricEval', trial, () => this.evaluator.metricEval(original, current));
    if (!Array.isArray(verdict) || verdict.length !== 2) {
      throw resultError('metricEval', trial, `returned ${show(verdict)}, not a pair [ok: boolean, loss: number]`);
    }
    const [ok, loss] = verdict as unknown[];
    if (typeof ok !== 'boolean') throw resultError('metricEval', trial, `returned ok = ${show(ok)}, not true or false`);
    if (typeof loss !== 'number' || Number.isNaN(loss)) throw resultError('metricEval', trial, `returned loss = ${show(loss)}, not a number`);
    return { ok, loss };
  }

  private async invoke<T>(method: EvaluatorMethod, trial: string, call: () => MaybePromise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw new AutoCalibrationError('EVALUATOR_FAILED', `evaluator.${method} failed on the ${trial}: ${describe(e)}`, {
        field: `evaluator.${method}`,
        cause: e,
        hint: `fix the error in your ${method} method; the cause is attached (run with the stack trace to see it)`,
      });
    }
  }
}

function resultError(method: EvaluatorMethod, trial: string, what: string): AutoCalibrationError {
  const hint = method === 'evaluate'
    ? 'evaluate must return (or resolve to) the metric as a finite number, e.g. top-1 accuracy or a mean cosine'
    : 'metricEval must return [ok, loss], e.g. [original - current <= 0.01, original - current]';
  return new AutoCalibrationError('EVALUATOR_RESULT_INVALID', `evaluator.${method} ${what} on the ${trial}`, { field: `evaluator.${method}`, hint });
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `a ${typeof v}`;
}
