/**
 * Turns layer plans into the deployable graph of SPEC §6:
 *   x → AscendQuant → Layer(filter = AscendWeightQuant(int8 W, int8 offset_w))
 *     → BiasAdd(Cast(int32 b)) → AscendDequant(uint64 deq_scale) → (activation, unchanged)
 * AvgPool: AscendQuant → AvgPool → AscendDequant(ksize = window).
 * MaxPool/Add inputs: AscendQuant → AscendAntiQuant. BatchMatMul of two activations:
 * AscendQuant on both, AscendDequant(scale_a·scale_b) after.
 * Float weights and biases no reader needs any more are removed, so the saved model
 * carries INT8 weights only. Fetched outputs keep their names.
 */
import { DataType, Graph, makeTensor, parseTensorName } from '../../ir';
import { ascendAntiQuantSpec, ascendDequantSpec, ascendQuantSpec, ascendWeightQuantSpec, castToFloatSpec } from './ops';
import type { LayerPlan } from './plan';

/** What an emitted node does for its layer (written to `_quant.json`). */
export type EmittedRole = 'quant' | 'anti_quant' | 'weight_int8' | 'offset_w' | 'weight_quant' | 'bias_int32' | 'bias_cast' | 'deq_scale' | 'dequant';

export interface EmitReport {
  /** Every node added, by layer, in the order they were made. */
  added: Map<string, string[]>;
  /** Role of each added node. */
  roles: Map<string, EmittedRole>;
  /**
   * For each AscendDequant, the node whose float value it restores (the layer, or its
   * BiasAdd), under the name it has after emission.
   */
  dequantOf: Map<string, string>;
  /** Nodes renamed so that a fetched output keeps its name: old name → new name. */
  renamed: Map<string, string>;
  /** Float weight and bias constants (and their Identity) removed because nothing reads them. */
  dropped: string[];
}

/**
 * Removes a Const (and an Identity in front of it) once nothing reads it and the user
 * does not fetch it, so the saved model carries only the INT8 copy.
 */
function dropIfUnused(graph: Graph, name: string, keep: ReadonlySet<string>, dropped: string[]): void {
  const node = graph.node(name);
  if (!node || keep.has(name) || (node.op !== 'Const' && node.op !== 'Identity')) return;
  if (graph.dataConsumersOfNode(name).length > 0 || graph.controlDependents(name).length > 0) return;
  const inputs = node.op === 'Identity' ? [...node.inputs] : [];
  graph.removeNode(name);
  dropped.push(name);
  for (const t of inputs) dropIfUnused(graph, graph.producerOf(t).name, keep, dropped);
}

class LayerEmitter {
  readonly added: string[] = [];
  readonly roles = new Map<string, EmittedRole>();
  readonly dropped: string[] = [];
  dequantOf?: [string, string];
  constructor(
    private readonly graph: Graph,
    private readonly plan: LayerPlan,
    private readonly outputs: ReadonlySet<string>,
  ) {}

  private name(suffix: string): string {
    return this.graph.uniqueName(`${this.plan.layer.name}/${suffix}`);
  }

  private track<T extends { name: string }>(node: T, role: EmittedRole): T {
    this.added.push(node.name);
    this.roles.set(node.name, role);
    return node;
  }

  private drop(name: string): void {
    dropIfUnused(this.graph, name, this.outputs, this.dropped);
  }

  /** AscendQuant on the edge into the layer's data input (this layer only). */
  quantizeInputs(): void {
    const layerNode = this.graph.getNode(this.plan.layer.name);
    for (const a of this.plan.activations) {
      const tensor = layerNode.inputs[a.inputIndex];
      const edge = this.graph.consumersOf(tensor).filter((c) => c.node.name === layerNode.name && c.inputIndex === a.inputIndex);
      const suffix = this.plan.activations.length > 1 ? `quant_${a.inputIndex}/AscendQuant` : 'quant/AscendQuant';
      const q = this.track(this.graph.insertOnEdge(tensor, ascendQuantSpec(this.name(suffix), a.scaleD, a.offsetD), edge), 'quant');
      if (this.plan.layer.kind === 'tensor') {
        const anti = ascendAntiQuantSpec(this.name(`anti_quant_${a.inputIndex}/AscendAntiQuant`), a.scaleD, a.offsetD);
        this.track(this.graph.insertOnEdge(q.name, anti), 'anti_quant');
      }
    }
  }

  replaceWeights(): void {
    const w = this.plan.weight;
    if (!w) return;
    const layer = this.plan.layer;
    const int8 = this.track(this.graph.addConst(`${layer.name}/weight_quant/int8`, makeTensor(DataType.DT_INT8, w.weightShape, w.weightInt8)), 'weight_int8');
    const offset = this.track(this.graph.addConst(`${layer.name}/weight_quant/offset_w`, makeTensor(DataType.DT_INT8, w.offsetShape, w.offsetW)), 'offset_w');
    const wq = this.track(this.graph.addNode(ascendWeightQuantSpec(this.name('weight_quant/AscendWeightQuant'), int8.name, offset.name)), 'weight_quant');
    const oldWeight = this.graph.getNode(layer.name).inputs[layer.weightInput!];
    this.graph.replaceInput(layer.name, layer.weightInput!, wq.name);
    this.drop(this.graph.producerOf(oldWeight).name);
  }

  replaceBias(): void {
    const b = this.plan.bias;
    if (!b) return;
    const layer = this.plan.layer.name;
    const int32 = this.track(this.graph.addConst(`${layer}/bias_quant/int32`, makeTensor(DataType.DT_INT32, [b.biasInt32.length], b.biasInt32)), 'bias_int32');
    const cast = this.track(this.graph.addNode(castToFloatSpec(this.name('bias_quant/Cast'), int32.name)), 'bias_cast');
    const oldBias = this.graph.getNode(b.biasAdd).inputs[1];
    this.graph.replaceInput(b.biasAdd, 1, cast.name);
    this.drop(this.graph.producerOf(oldBias).name);
  }

  /** AscendDequant after the layer (or its BiasAdd); returns a rename if an output needed it. */
  dequantize(): [string, string] | undefined {
    const { deqScale, layer } = this.plan;
    if (!deqScale) return undefined;
    let tail = this.plan.bias?.biasAdd ?? layer.name;
    const deqConst = this.track(this.graph.addConst(`${layer.name}/dequant/deq_scale`, makeTensor(DataType.DT_UINT64, [deqScale.length], deqScale)), 'deq_scale');
    let rename: [string, string] | undefined;
    let deqName = this.name('dequant/AscendDequant');
    if (this.outputs.has(tail)) {
      // The user fetches this node: the dequantized value must keep its name.
      const moved = this.graph.uniqueName(`${tail}/before_dequant`);
      this.graph.renameNode(tail, moved);
      rename = [tail, moved];
      deqName = tail;
      tail = moved;
    }
    const spec = ascendDequantSpec(deqName, deqConst.name, this.plan.ksize, this.plan.dataFormat);
    this.track(this.graph.insertOnEdge(tail, spec), 'dequant');
    this.dequantOf = [deqName, tail];
    return rename;
  }
}

/**
 * Applies every plan. `outputs` are the node names the user fetches; a node among them
 * that gets an AscendDequant after it hands its name to the dequant.
 */
export function emitAscend(graph: Graph, plans: LayerPlan[], outputs: Iterable<string>): EmitReport {
  const outputSet = new Set([...outputs].map((o) => parseTensorName(o).node));
  const report: EmitReport = { added: new Map(), roles: new Map(), dequantOf: new Map(), renamed: new Map(), dropped: [] };
  for (const plan of plans) {
    const e = new LayerEmitter(graph, plan, outputSet);
    e.quantizeInputs();
    e.replaceWeights();
    e.replaceBias();
    const rename = e.dequantize();
    if (rename) report.renamed.set(rename[0], rename[1]);
    if (e.dequantOf) report.dequantOf.set(...e.dequantOf);
    report.added.set(plan.layer.name, e.added);
    for (const [n, r] of e.roles) report.roles.set(n, r);
    report.dropped.push(...e.dropped);
  }
  return report;
}
