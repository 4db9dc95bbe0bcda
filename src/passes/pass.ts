/**
 * The shape every graph pass has (ARCHITECTURE "one pass per file"): a name and a run
 * that edits the graph through Graph's methods and reports what it did.
 */
import type { Graph } from '../ir';

/** One rewrite a pass made: `nodes` are the original nodes it absorbed or split. */
export interface PassAction {
  pass: string;
  /** The layer concerned (its node name). */
  layer: string;
  nodes: string[];
  detail: string;
}

/** A rewrite a pass could have made but did not, and why. */
export interface PassSkip {
  pass: string;
  layer: string;
  /** The node that was not folded (BN, Add, Mul, fused op). */
  node: string;
  reason: string;
}

export interface PassReport {
  pass: string;
  actions: PassAction[];
  skipped: PassSkip[];
}

export interface PassContext {
  /** Layer names excluded from fusion (skip_fusion_layers). */
  readonly skipFusionLayers: ReadonlySet<string>;
  readonly origins: OriginMap;
  /**
   * Tensors whose value moved to another name because the node that produced them was
   * removed or now computes something else (only recorded when nothing read them in the
   * graph: such a node is probably a graph output the caller fetches by name).
   */
  readonly renamedOutputs: Map<string, string>;
}

export interface GraphPass {
  readonly name: string;
  run(graph: Graph, ctx: PassContext): PassReport;
}

/**
 * Which original nodes each new or rewritten node stands for (for `<savePath>_quant.json`).
 * Records compose: a node made from nodes that already stand for others inherits their
 * origins, so after several passes the map still names nodes of the graph as loaded.
 */
export class OriginMap {
  private readonly map = new Map<string, string[]>();

  /** `node` now stands for `covers` (names in the current graph, or removed ones). */
  record(node: string, covers: string[]): void {
    const out: string[] = [];
    for (const c of covers) for (const o of this.map.get(c) ?? [c]) if (!out.includes(o)) out.push(o);
    this.map.set(node, out);
  }

  /** Forgets a node that no longer exists (after its origins were passed on). */
  drop(node: string): void {
    this.map.delete(node);
  }

  get(node: string): string[] | undefined {
    return this.map.get(node);
  }

  /** A copy limited to nodes still present in the graph. */
  snapshot(graph: Graph): Map<string, string[]> {
    return new Map([...this.map].filter(([name]) => graph.has(name)).map(([name, o]) => [name, [...o]]));
  }
}

export function newContext(skipFusionLayers: Iterable<string> = []): PassContext {
  return { skipFusionLayers: new Set(skipFusionLayers), origins: new OriginMap(), renamedOutputs: new Map() };
}

/** Records that the value fetched as `from` is now `to`, keeping earlier renames pointing at the end. */
export function renameOutput(ctx: PassContext, from: string, to: string): void {
  for (const [k, v] of ctx.renamedOutputs) if (v === from) ctx.renamedOutputs.set(k, to);
  if (from !== to) ctx.renamedOutputs.set(from, to);
}

/** A report builder, so passes stay short. */
export class Reporter {
  readonly report: PassReport;
  constructor(pass: string) {
    this.report = { pass, actions: [], skipped: [] };
  }
  did(layer: string, nodes: string[], detail: string): void {
    this.report.actions.push({ pass: this.report.pass, layer, nodes, detail });
  }
  skip(layer: string, node: string, reason: string): void {
    this.report.skipped.push({ pass: this.report.pass, layer, node, reason });
  }
}
