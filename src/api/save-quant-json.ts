/**
 * `<savePath>_quant.json` (SPEC §6, ours): for layer-by-layer comparison of the deployable
 * graph with the model as loaded, every node of the quantized graph that is not simply an
 * original node under its original name says which original nodes it stands for: layers
 * with a folded BN, the plain ops and BiasAdd of an unfused TensorFlow.js op, outputs that
 * took their name back, and each inserted Ascend node (with its layer and role).
 * Layout: docs/deploy.md. Nodes are tracked by object identity, since emission and output
 * restoration rename them.
 */
import type { Graph, NodeDef } from '../ir';
import type { BalancePlan, EmitReport, EmittedRole, LayerPlan } from '../passes';

/** Emitted nodes' roles, plus the layer op itself and the BiasAdd whose bias became int32. */
export type NodeRole = EmittedRole | 'layer' | 'bias_add' | 'balance_mul' | 'balance_factor';

export interface QuantJsonNode {
  origins: string[];
  layer?: string;
  role?: NodeRole;
}

export interface QuantJsonLayer {
  op: string;
  kind: string;
  origins: string[];
  record_keys: string[];
  /** The layer's node in the quantized graph. */
  node: string;
  /** The node whose output is the layer's dequantized float value (absent for tensor quantization). */
  output?: string;
  nodes: string[];
  /**
   * DMQ balancer (SPEC §10), for balanced layers: how the input is divided by s —
   * `folded` into `into` (a quantized producer's dequantization, or a Mul's constant)
   * through the ops `through`, or by an inserted float `mul` node (with the reason).
   */
  dmq_balancer?: { factors: number; divide: 'folded' | 'mul'; into?: string; through?: string[]; mul?: string; reason?: string };
  /**
   * When a balanced consumer's 1/s was folded into this layer's dequantization: that
   * consumer's name. Channel c of this layer's `output` is then the float value divided by
   * the consumer's tensor_balance_factor[c]; a layer-by-layer comparison multiplies it back.
   */
  output_divided_by?: string;
}

export interface QuantJson {
  version: 1;
  producer: 'amct-ts';
  source_model: string;
  record_file: string;
  quantized_model: string;
  outputs: string[];
  layers: Record<string, QuantJsonLayer>;
  nodes: Record<string, QuantJsonNode>;
}

export interface QuantJsonFiles {
  sourceModel: string;
  recordFile: string;
  quantizedModel: string;
  outputs: string[];
}

interface Tag {
  layer: string;
  role: NodeRole;
}

export class QuantJsonBuilder {
  /** Each node's name right after prepareGraph. */
  private readonly prepared = new Map<NodeDef, string>();
  private readonly tags = new Map<NodeDef, Tag>();
  /** AscendDequant → the node whose value it restores. */
  private readonly dequantOf = new Map<NodeDef, NodeDef>();
  private plans: LayerPlan[] = [];
  private balance = new Map<string, BalancePlan>();
  private layerNodes = new Map<string, NodeDef>();

  /** Call on the prepared graph, before emission. */
  constructor(graph: Graph, private readonly origins: ReadonlyMap<string, string[]>) {
    for (const n of graph.nodes()) this.prepared.set(n, n.name);
  }

  /** Before emission: the nodes each plan rewrites in place. */
  markPlans(graph: Graph, plans: LayerPlan[]): void {
    this.plans = plans;
    for (const p of plans) {
      const node = graph.getNode(p.layer.name);
      this.layerNodes.set(p.layer.name, node);
      this.tags.set(node, { layer: p.layer.name, role: 'layer' });
      if (p.bias) this.tags.set(graph.getNode(p.bias.biasAdd), { layer: p.layer.name, role: 'bias_add' });
    }
  }

  /** After the balancer's edits (before emission): its Mul nodes and their constants. */
  markBalance(graph: Graph, balance: BalancePlan[]): void {
    for (const b of balance) {
      this.balance.set(b.layer, b);
      if (!b.mulNode) continue;
      const mul = graph.getNode(b.mulNode);
      this.tags.set(mul, { layer: b.layer, role: 'balance_mul' });
      this.tags.set(graph.getNode(mul.inputs[1]), { layer: b.layer, role: 'balance_factor' });
    }
  }

  /** Right after emission, before any later rename. */
  markEmitted(graph: Graph, report: EmitReport): void {
    for (const [layer, names] of report.added) {
      for (const name of names) this.tags.set(graph.getNode(name), { layer, role: report.roles.get(name)! });
    }
    for (const [deq, tail] of report.dequantOf) this.dequantOf.set(graph.getNode(deq), graph.getNode(tail));
  }

  private originsOf(node: NodeDef): string[] {
    const source = this.dequantOf.get(node) ?? node;
    const name = this.prepared.get(source);
    if (name !== undefined) return [...(this.origins.get(name) ?? [name])];
    const tag = this.tags.get(source);
    return tag ? this.originsOf(this.layerNodes.get(tag.layer)!) : [];
  }

  private entry(node: NodeDef): QuantJsonNode | undefined {
    const name = this.prepared.get(node);
    const tag = this.tags.get(node);
    const changed = name === undefined || name !== node.name || this.origins.has(name);
    if (!tag && !changed) return undefined;
    const e: QuantJsonNode = { origins: this.originsOf(node) };
    if (tag) Object.assign(e, { layer: tag.layer, role: tag.role });
    return e;
  }

  private layerEntry(plan: LayerPlan, graph: Graph): QuantJsonLayer {
    const name = plan.layer.name;
    const mine = graph.nodes().filter((n) => this.tags.get(n)?.layer === name && this.tags.get(n)!.role !== 'layer' && this.tags.get(n)!.role !== 'bias_add');
    const dequant = mine.find((n) => this.tags.get(n)!.role === 'dequant');
    const out: QuantJsonLayer = {
      op: plan.layer.op,
      kind: plan.layer.kind,
      origins: this.originsOf(this.layerNodes.get(name)!),
      record_keys: plan.activations.map((a) => a.key),
      node: this.layerNodes.get(name)!.name,
      nodes: mine.map((n) => n.name),
    };
    if (dequant) out.output = dequant.name;
    const folded = [...this.balance.values()].find((x) => x.divide === 'folded' && x.into === name && !x.constMul);
    if (folded) out.output_divided_by = folded.layer;
    const b = this.balance.get(name);
    if (b) {
      out.dmq_balancer = b.divide === 'folded'
        ? { factors: b.factors.length, divide: 'folded', into: b.into, through: b.through }
        : { factors: b.factors.length, divide: 'mul', mul: b.mulNode, reason: b.reason };
    }
    return out;
  }

  /** The file's content for the final graph. */
  build(graph: Graph, files: QuantJsonFiles): QuantJson {
    const nodes: Record<string, QuantJsonNode> = {};
    for (const n of [...graph.nodes()].sort((a, b) => compare(a.name, b.name))) {
      const e = this.entry(n);
      if (e) nodes[n.name] = e;
    }
    const layers: Record<string, QuantJsonLayer> = {};
    for (const p of [...this.plans].sort((a, b) => compare(a.layer.name, b.layer.name))) layers[p.layer.name] = this.layerEntry(p, graph);
    return {
      version: 1,
      producer: 'amct-ts',
      source_model: files.sourceModel,
      record_file: files.recordFile,
      quantized_model: files.quantizedModel,
      outputs: files.outputs,
      layers,
      nodes,
    };
  }
}

/** Code-point order, the same on every machine (localeCompare is not). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
