/**
 * Session (SPEC §1): runs an IR Graph in Node through tfjs-converter's GraphModel,
 * loaded from memory. The session works on a private copy of the graph, taken at
 * create(): later edits to the caller's graph do not reach it.
 */
import { AmctError, describe, SessionError } from '../errors';
import { attr, Graph } from '../ir';
import type { NodeDef } from '../ir';
import { graphToArtifacts } from '../io';
import { log } from '../log';
import { foldAscendConstants } from './ascend-folding';
import { fuseAscendChains } from './ascend-fusion';
import { activateBackend, BackendName, chooseBackend, currentBackend, restoreBackend } from './backend';
import { chainConstMappers, ConstMapper, translateConst } from './const-translation';
import { locateFailingNode } from './diagnose';
import { executeModel, needsAsync, wrapExecutionError } from './execute';
import { checkFeeds, checkFeedsCover, Feeds, makeFeedTensors } from './feeds';
import { collectOutputs, FetchedTensor, planFetches, RunOptions } from './fetches';
import { checkBatchNormParams } from './graph-checks';
import { attachHost, detachHost, getKernel, KernelHost, NODE_ATTR, SESSION_ATTR } from './kernels';
import type { KernelOptions } from './kernels';
import { serialize } from './mutex';
import { checkOpsSupported } from './op-support';
import { isOutOfMemory, runFailure, RunScope } from './run-scope';
import { converter, tf } from './tfjs';
import { isWasmTrap, recoverWasmAfterTrap, wasmGeneration } from './wasm-health';
import { checkFeedsFit, guardWasmAllocations } from './wasm-memory';

export interface SessionOptions {
  /** Default: AMCT_BACKEND, else tfjs-node when installed, else wasm, else cpu. */
  backend?: BackendName;
  /**
   * Replaces Const values for this session's tfjs copy, before the built-in translation
   * of dtypes tfjs lacks (const-translation.ts); return undefined to keep a constant.
   */
  mapConst?: ConstMapper;
  /**
   * Calibration graphs: bin large layers' activations on a second thread while the model
   * runs (statistics/accumulator.ts); same results. Default true, unless the environment
   * sets AMCT_STATISTICS_THREAD=0.
   */
  statisticsThread?: boolean;
}

interface CustomEntry {
  node: NodeDef;
  state: Map<string, unknown>;
}

type TfjsModel = ReturnType<typeof converter.loadGraphModelSync>;

let nextSessionId = 1;

export class Session {
  /** The session's private copy of the graph; kernels read original constants here. */
  readonly graph: Graph;
  readonly backend: BackendName;
  readonly id = nextSessionId++;
  /** Whether calibration may bin large layers on the statistics thread (SessionOptions.statisticsThread). */
  readonly statisticsThread: boolean;
  private model?: TfjsModel;
  private weights = new Set<tf.Tensor>();
  private mapConst?: ConstMapper;
  /** The wasm backend instance the weights live on (see wasm-health.ts). */
  private generation = 0;
  private readonly custom: CustomEntry[] = [];
  private readonly host: KernelHost;
  private useAsync: boolean;
  private disposed = false;
  private pending = 0;

  private constructor(graph: Graph, backend: BackendName, statisticsThread: boolean) {
    this.graph = graph;
    this.backend = backend;
    this.statisticsThread = statisticsThread;
    this.useAsync = needsAsync(graph);
    const custom = this.custom;
    this.host = { session: this, mode: 'sync', entry: (i) => custom[i] };
  }

  /** Checks every op, picks the backend and loads the graph into tfjs. */
  static async create(graph: Graph, options: SessionOptions = {}): Promise<Session> {
    if (!(graph instanceof Graph)) {
      throw new SessionError('INVALID_ARGUMENT', 'Session.create needs a Graph', { hint: 'load one with loadGraph(path)' });
    }
    const copy = graph.clone();
    checkOpsSupported(copy, (op) => getKernel(op) !== undefined);
    checkBatchNormParams(copy);
    return serialize(async () => {
      const session = new Session(copy, await chooseBackend(options.backend), options.statisticsThread ?? process.env.AMCT_STATISTICS_THREAD !== '0');
      await session.load(options.mapConst);
      return session;
    });
  }

  /**
   * Runs the graph. `fetches` is a tensor name ("node" = "node:0") or an array of them;
   * the result is one FetchedTensor for a name, an array in the same order for an array.
   * With `{ as: 'tensor' }` the results are tf.Tensors, which the caller must dispose.
   * Runs of all sessions in the process are queued one after another.
   */
  run(fetch: string, feeds?: Feeds, options?: RunOptions & { as?: 'data' }): Promise<FetchedTensor>;
  run(fetches: string[], feeds?: Feeds, options?: RunOptions & { as?: 'data' }): Promise<FetchedTensor[]>;
  run(fetch: string, feeds: Feeds, options: { as: 'tensor' }): Promise<tf.Tensor>;
  run(fetches: string[], feeds: Feeds, options: { as: 'tensor' }): Promise<tf.Tensor[]>;
  async run(fetches: string | string[], feeds: Feeds = {}, options: RunOptions = {}): Promise<unknown> {
    this.assertLive();
    const plan = planFetches(this.graph, fetches);
    this.pending++;
    try {
      const results = await serialize(() => this.runLocked(plan, feeds, options.as ?? 'data'));
      return typeof fetches === 'string' ? results[0] : results;
    } finally {
      this.pending--;
      if (this.disposed && this.pending === 0) this.release();
    }
  }

  /**
   * Frees the model's weights and the kernels' state. Runs already started finish first;
   * later runs throw SESSION_DISPOSED.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.pending === 0) this.release();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * State of a custom-kernel node (what its kernel saw as ctx.state), or undefined. The
   * last entry of that name wins: a fused chain takes the name of the node it replaces.
   */
  nodeState(nodeName: string): Map<string, unknown> | undefined {
    for (let i = this.custom.length - 1; i >= 0; i--) if (this.custom[i].node.name === nodeName) return this.custom[i].state;
    return undefined;
  }

  // ---- internals -----------------------------------------------------------

  private assertLive(): void {
    if (this.disposed) {
      throw new SessionError('SESSION_DISPOSED', 'the session was disposed', { hint: 'create a new Session to run the graph again' });
    }
  }

  /**
   * The copy tfjs loads: custom nodes stamped with this session's id and their index,
   * Ascend constants folded and elementwise chains fused (ascend-folding.ts, ascend-fusion.ts).
   * A reload keeps the entries made by the first load, and so the kernels' state.
   */
  private stampedGraph(): Graph {
    const stamped = this.graph.clone();
    const fresh = this.custom.length === 0;
    let index = 0;
    for (const node of this.graph.nodes()) {
      if (!getKernel(node.op)) continue;
      const copy = stamped.getNode(node.name);
      copy.attr[SESSION_ATTR] = attr.int(this.id);
      copy.attr[NODE_ATTR] = attr.int(index++);
      if (fresh) this.custom.push({ node, state: new Map() });
      if (getKernel(node.op)!.options.async) this.useAsync = true;
    }
    foldAscendConstants(stamped); // int8 weights become float constants once, not per run
    if (this.backend !== 'cpu' && this.backend !== 'wasm') return stamped;
    // Elementwise chains after each conv run as one pass (measured on these two backends only).
    for (const fused of fuseAscendChains(stamped)) {
      fused.attr[SESSION_ATTR] = attr.int(this.id);
      fused.attr[NODE_ATTR] = attr.int(index++);
      if (fresh) this.custom.push({ node: fused, state: new Map() });
    }
    return stamped;
  }

  private async load(mapConst?: ConstMapper): Promise<void> {
    const previous = currentBackend();
    await activateBackend(this.backend);
    this.mapConst = mapConst;
    this.generation = wasmGeneration();
    try {
      const stamped = this.stampedGraph();
      const artifacts = graphToArtifacts(stamped, { mapConst: chainConstMappers(mapConst, translateConst) });
      // tfjs reads modelTopology.versions.producer unconditionally; graphs built in memory have none.
      artifacts.modelTopology.versions ??= {};
      const model = converter.loadGraphModelSync(artifacts as unknown as tf.io.ModelArtifacts);
      this.model = model;
      this.weights = new Set(Object.values(model.weights).flat());
      attachHost(this.id, this.host);
      log.debug(`session ${this.id}: ${this.graph.size} nodes on ${this.backend}${this.useAsync ? ' (executeAsync)' : ''}`);
    } catch (e) {
      this.model?.dispose();
      if (e instanceof AmctError) throw e;
      throw new SessionError('INVALID_GRAPH', `TensorFlow.js could not load the graph: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
        hint: 'the graph may use attributes or dtypes tfjs-converter does not accept',
      });
    } finally {
      await restoreBackend(previous);
    }
  }

  /**
   * One run inside an engine scope: whatever tfjs or a kernel allocates during the run
   * is freed when it ends, except the tensors handed to the caller (as: 'tensor') and
   * tensors kernels keep on purpose (tf.keep). Every failure leaves as an AmctError.
   */
  private async runLocked(plan: ReturnType<typeof planFetches>, feeds: Feeds, as: 'data' | 'tensor'): Promise<(FetchedTensor | tf.Tensor)[]> {
    const previous = currentBackend();
    let scope: RunScope | undefined;
    try {
      await activateBackend(this.backend);
      if (this.backend === 'wasm') {
        guardWasmAllocations();
        if (this.generation !== wasmGeneration()) await this.reload();
      }
      const checked = checkFeeds(this.graph, feeds);
      checkFeedsFit(this.backend, checked);
      scope = new RunScope();
      const prepared = makeFeedTensors(checked);
      checkFeedsCover(this.graph, plan.nodes, prepared.fedNodes);
      const borrowed = new Set([...this.weights, ...Object.values(prepared.tensors)]);
      const fedValues = Object.values(prepared.tensors).reduce((sum, t) => sum + t.size, 0);
      await this.runHooks('beforeRun', fedValues);
      const outputs = await this.execute(prepared.tensors, plan.unique);
      const results = await collectOutputs(plan, outputs, borrowed, as);
      scope.keep(results);
      await this.runHooks('afterRun');
      return results;
    } catch (e) {
      scope?.keep([]); // a failed run hands out nothing
      scope?.end();
      const restarted = this.backend === 'wasm' && isWasmTrap(e) && (await recoverWasmAfterTrap());
      throw runFailure(e, this.graph, restarted);
    } finally {
      scope?.end();
      await restoreBackend(previous);
    }
  }

  private async execute(feeds: Record<string, tf.Tensor>, names: string[]): Promise<(tf.Tensor | undefined)[]> {
    try {
      const result = await executeModel(this.model!, this.host, feeds, names, this.useAsync);
      this.useAsync = result.async;
      return result.outputs;
    } catch (e) {
      const plain = this.custom.length === 0 && !this.useAsync && !(e instanceof AmctError) && !isOutOfMemory(e);
      throw wrapExecutionError(e, this.graph, plain ? () => locateFailingNode(this.model!, this.graph, feeds, names) : undefined);
    }
  }

  /**
   * Kernel hooks that run once per run (e.g. calibration starting its threads, then writing
   * its record). Once per hook function, with the nodes of every op that shares it: QuantIfmr
   * and QuantHfmg share calibration's, which would otherwise run twice on a graph mixing them.
   */
  private async runHooks(hook: 'beforeRun' | 'afterRun', fedValues = 0): Promise<void> {
    const byHook = new Map<NonNullable<KernelOptions[typeof hook]>, NodeDef[]>();
    for (const { node } of this.custom) {
      const fn = getKernel(node.op)?.options[hook];
      if (fn) byHook.set(fn, [...(byHook.get(fn) ?? []), node]);
    }
    for (const [fn, nodes] of byHook) await fn(this, nodes, fedValues);
  }

  /** Kernel hooks that look at the state one last time (calibration warns when it is incomplete). */
  private beforeRelease(): void {
    const hooks = new Set<(session: Session, nodes: NodeDef[]) => void>();
    for (const { node } of this.custom) {
      const hook = getKernel(node.op)?.options.onDispose;
      if (hook) hooks.add(hook);
    }
    for (const hook of hooks) {
      try {
        hook(this, this.custom.map((e) => e.node));
      } catch (e) {
        log.warn(`session ${this.id}: a kernel's dispose hook failed: ${describe(e)}`);
      }
    }
  }

  private release(): void {
    this.beforeRelease();
    this.dropTensors();
    for (const e of this.custom) e.state.clear();
    detachHost(this.id);
  }

  /** Frees the weights and the tensors kernels cached in their state (QuantArq's quantized weight). */
  private dropTensors(): void {
    try {
      this.model?.dispose(); // its weights and the executor's resources
    } catch {
      // see below
    }
    const all = [...this.weights, ...this.custom.flatMap((e) => [...e.state.values()].filter((v): v is tf.Tensor => v instanceof tf.Tensor))];
    for (const t of all) {
      try {
        t.dispose();
      } catch {
        // a tensor of a wasm backend that was replaced: its memory went with it
      }
    }
    for (const e of this.custom) for (const [k, v] of e.state) if (v instanceof tf.Tensor) e.state.delete(k);
    this.model = undefined;
    this.weights.clear();
  }

  /** The wasm backend was replaced since this session loaded: load the weights again, keeping the kernels' state. */
  private async reload(): Promise<void> {
    this.dropTensors();
    await this.load(this.mapConst);
    log.info(`session ${this.id}: weights reloaded on the restarted wasm backend`);
  }
}
