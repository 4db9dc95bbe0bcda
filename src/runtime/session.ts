/**
 * Session (SPEC §1): runs an IR Graph in Node through tfjs-converter's GraphModel,
 * loaded from memory. The session works on a private copy of the graph, taken at
 * create(): later edits to the caller's graph do not reach it.
 */
import { AmctError, SessionError } from '../errors';
import { attr, Graph } from '../ir';
import type { NodeDef } from '../ir';
import { graphToArtifacts } from '../io';
import { log } from '../log';
import { foldAscendConstants } from './ascend-folding';
import { activateBackend, BackendName, chooseBackend, currentBackend, restoreBackend } from './backend';
import { chainConstMappers, ConstMapper, translateConst } from './const-translation';
import { locateFailingNode } from './diagnose';
import { executeModel, needsAsync, wrapExecutionError } from './execute';
import { checkFeedsCover, Feeds, prepareFeeds } from './feeds';
import { collectOutputs, FetchedTensor, planFetches, RunOptions } from './fetches';
import { attachHost, detachHost, getKernel, KernelHost, NODE_ATTR, SESSION_ATTR } from './kernels';
import { serialize } from './mutex';
import { checkOpsSupported } from './op-support';
import { converter, tf } from './tfjs';

export interface SessionOptions {
  /** Default: AMCT_BACKEND, else tfjs-node when installed, else wasm, else cpu. */
  backend?: BackendName;
  /**
   * Replaces Const values for this session's tfjs copy, before the built-in translation
   * of dtypes tfjs lacks (const-translation.ts); return undefined to keep a constant.
   */
  mapConst?: ConstMapper;
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
  private model?: TfjsModel;
  private weights = new Set<tf.Tensor>();
  private readonly custom: CustomEntry[] = [];
  private readonly host: KernelHost;
  private useAsync: boolean;
  private disposed = false;
  private pending = 0;

  private constructor(graph: Graph, backend: BackendName) {
    this.graph = graph;
    this.backend = backend;
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
    return serialize(async () => {
      const session = new Session(copy, await chooseBackend(options.backend));
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

  /** State of a custom-kernel node (what its kernel saw as ctx.state), or undefined. */
  nodeState(nodeName: string): Map<string, unknown> | undefined {
    return this.custom.find((e) => e.node.name === nodeName)?.state;
  }

  // ---- internals -----------------------------------------------------------

  private assertLive(): void {
    if (this.disposed) {
      throw new SessionError('SESSION_DISPOSED', 'the session was disposed', { hint: 'create a new Session to run the graph again' });
    }
  }

  /** The copy tfjs loads: custom nodes stamped with this session's id and their index. */
  private stampedGraph(): Graph {
    const stamped = this.graph.clone();
    for (const node of this.graph.nodes()) {
      if (!getKernel(node.op)) continue;
      const copy = stamped.getNode(node.name);
      copy.attr[SESSION_ATTR] = attr.int(this.id);
      copy.attr[NODE_ATTR] = attr.int(this.custom.length);
      this.custom.push({ node, state: new Map() });
      if (getKernel(node.op)!.options.async) this.useAsync = true;
    }
    return stamped;
  }

  private async load(mapConst?: ConstMapper): Promise<void> {
    const previous = currentBackend();
    await activateBackend(this.backend);
    try {
      const stamped = this.stampedGraph();
      foldAscendConstants(stamped); // int8 weights become float constants once, not per run
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

  private async runLocked(plan: ReturnType<typeof planFetches>, feeds: Feeds, as: 'data' | 'tensor'): Promise<(FetchedTensor | tf.Tensor)[]> {
    const previous = currentBackend();
    let prepared: ReturnType<typeof prepareFeeds> | undefined;
    try {
      await activateBackend(this.backend);
      prepared = prepareFeeds(this.graph, feeds);
      checkFeedsCover(this.graph, plan.nodes, prepared.fedNodes);
      const borrowed = new Set([...this.weights, ...Object.values(prepared.tensors)]);
      const outputs = await this.execute(prepared.tensors, plan.unique);
      const results = await collectOutputs(plan, outputs, borrowed, as);
      await this.afterRun().catch((e) => {
        tf.dispose(results.filter((r): r is tf.Tensor => r instanceof tf.Tensor));
        throw e;
      });
      return results;
    } finally {
      if (prepared) tf.dispose(prepared.created);
      await restoreBackend(previous);
    }
  }

  private async execute(feeds: Record<string, tf.Tensor>, names: string[]): Promise<(tf.Tensor | undefined)[]> {
    try {
      const result = await executeModel(this.model!, this.host, feeds, names, this.useAsync);
      this.useAsync = result.async;
      return result.outputs;
    } catch (e) {
      const plain = this.custom.length === 0 && !this.useAsync && !(e instanceof AmctError);
      throw wrapExecutionError(e, this.graph, plain ? () => locateFailingNode(this.model!, this.graph, feeds, names) : undefined);
    }
  }

  /** Kernel hooks that run once per run (e.g. calibration writing its record). */
  private async afterRun(): Promise<void> {
    const byOp = new Map<string, NodeDef[]>();
    for (const { node } of this.custom) byOp.set(node.op, [...(byOp.get(node.op) ?? []), node]);
    for (const [op, nodes] of byOp) await getKernel(op)?.options.afterRun?.(this, nodes);
  }

  private release(): void {
    this.model?.dispose();
    this.model = undefined;
    this.weights.clear();
    for (const e of this.custom) {
      // Kernels may cache tensors in their state (QuantArq's quantized weight); free them with the session.
      for (const v of e.state.values()) if (v instanceof tf.Tensor) v.dispose();
      e.state.clear();
    }
    detachHost(this.id);
  }
}
