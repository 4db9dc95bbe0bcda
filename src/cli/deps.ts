/**
 * What the calibration command needs from the SDK, as an injected object: tests run the
 * whole command with fakes, and the real API (which pulls in tfjs) is loaded only when a
 * calibration actually runs, so `--help` and argument errors stay instant.
 */
import type { Graph } from '../ir';

/** A calibration input: a typed array with its shape (NHWC for images). */
export interface Feed {
  data: Float32Array | Int32Array;
  shape: number[];
}

export interface SessionLike {
  run(fetches: string[], feeds: Record<string, Feed>): Promise<unknown>;
  dispose?(): unknown;
}

/** One evaluation of auto calibration, as the progress lines show it. */
export interface AutoCalibrationTrialInfo {
  stage: 'float' | 'quantized' | 'balancer' | 'search';
  k: number;
  metric: number;
  loss: number;
  ok: boolean;
  evaluations: number;
}

/** What accuracyBasedAutoCalibration returns that the command prints. */
export interface AutoCalibrationSummary {
  originalMetric: number;
  quantizedMetric: number;
  finalMetric: number;
  floatLayers: string[];
  balancedLayers?: string[];
  evaluations: number;
  files: Record<string, string | undefined>;
}

export interface AutoCalibrationCliOptions {
  strategy?: string;
  /** false: skip the DMQ balancer step (AMCT's flow). */
  balancer?: boolean;
  backend?: string;
  onTrial?: (trial: AutoCalibrationTrialInfo) => void;
}

export interface CalibrationDeps {
  loadGraph(path: string): Promise<Graph>;
  createQuantConfig(configFile: string, graph: Graph, options: { batchNum?: number; configDefinition?: string }): Promise<unknown>;
  /** Resolves to the names to fetch during calibration (outputs renamed by fusion, if any). */
  quantizeModel(graph: Graph, configFile: string, recordFile: string, options: { calibOutputs: string[] }): Promise<{ calibOutputs: string[] }>;
  createSession(graph: Graph, options: { backend?: string }): Promise<SessionLike>;
  saveModel(modelPath: string, outputs: string[], recordFile: string, savePath: string): Promise<unknown>;
  /** `--evaluator`: accuracyBasedAutoCalibration (SPEC §9). */
  accuracyBasedAutoCalibration?(modelFile: string, outputs: string[], recordFile: string, configFile: string, saveDir: string, evaluator: unknown, options: AutoCalibrationCliOptions): Promise<AutoCalibrationSummary>;
}

/** The SPEC §1 surface this command uses, as the package root exports it. */
interface ApiModule {
  loadGraph: CalibrationDeps['loadGraph'];
  createQuantConfig: CalibrationDeps['createQuantConfig'];
  quantizeModel: CalibrationDeps['quantizeModel'];
  saveModel: CalibrationDeps['saveModel'];
  accuracyBasedAutoCalibration: NonNullable<CalibrationDeps['accuracyBasedAutoCalibration']>;
  Session: { create(graph: Graph, options?: { backend?: string }): Promise<SessionLike> };
}

/** Loads the real API lazily, so `--help` and argument errors never load tfjs. */
export async function loadRealDeps(): Promise<CalibrationDeps> {
  const api = (await import('../index')) as unknown as Partial<ApiModule>;
  const need = <K extends keyof ApiModule>(name: K): ApiModule[K] => {
    const f = api[name];
    if (f === undefined) throw new Error(`this build of amct-ts does not export ${name} from the package root`);
    return f as ApiModule[K];
  };
  return {
    loadGraph: (p) => need('loadGraph')(p),
    createQuantConfig: (c, g, o) => need('createQuantConfig')(c, g, o),
    quantizeModel: (g, c, r, o) => need('quantizeModel')(g, c, r, o),
    createSession: (g, o) => need('Session').create(g, o),
    saveModel: (m, o, r, s) => need('saveModel')(m, o, r, s),
    accuracyBasedAutoCalibration: (m, o, r, c, s, e, opts) => need('accuracyBasedAutoCalibration')(m, o, r, c, s, e, opts),
  };
}

/** Frees whatever session.run returned (tfjs tensors hold memory until disposed). */
export function disposeResult(result: unknown): void {
  if (isDisposable(result)) {
    result.dispose();
    return;
  }
  const items = Array.isArray(result) ? result : result && typeof result === 'object' ? Object.values(result) : [];
  for (const item of items) if (isDisposable(item)) item.dispose();
}

function isDisposable(x: unknown): x is { dispose(): void } {
  return !!x && typeof x === 'object' && typeof (x as { dispose?: unknown }).dispose === 'function';
}
