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

export interface EmitReport {
  /** Every node added, by layer. */
  added: Map<string, string[]>;
  /** Nodes renamed so that a fetched output keeps its name: old name → new name. */
  renamed: Map<string, string>;
}

/** Removes a Const (and an Identity in front of it) once nothing reads it. */
function dropIfUnused(graph: Graph, name: string): void {
  if (!graph.has(name)) return;
  if (graph.dataConsumersOfNode(name).length > 0 || graph.controlDependents(name).length > 0) return;
  const node = graph.getNode(name);
  const inputs = node.op === 'Identity' ? [...node.inputs] : [];
  graph.removeNode(name);
  for (const t of inputs) dropIfUnused(graph, graph.producerOf(t).name);
}

class LayerEmitter {
  readonly added: string[] = [];
  constructor(
    private readonly graph: Graph,
    private readonly plan: LayerPlan,
  ) {}

  private name(suffix: string): string {
    return this.graph.uniqueName(`${this.plan.layer.name}/${suffix}`);
  }

  private track<T extends { name: string }>(node: T): T {
    this.added.push(node.name);
    return node;
  }

  /** AscendQuant on the edge into the layer's data input (this layer only). */
  quantizeInputs(): void {
    const layerNode = this.graph.getNode(this.plan.layer.name);
    for (const a of this.plan.activations) {
      const tensor = layerNode.inputs[a.inputIndex];
      const edge = this.graph.consumersOf(tensor).filter((c) => c.node.name === layerNode.name && c.inputIndex === a.inputIndex);
      const suffix = this.plan.activations.length > 1 ? `quant_${a.inputIndex}/AscendQuant` : 'quant/AscendQuant';
      const q = this.track(this.graph.insertOnEdge(tensor, ascendQuantSpec(this.name(suffix), a.scaleD, a.offsetD), edge));
      if (this.plan.layer.kind === 'tensor') {
        const anti = ascendAntiQuantSpec(this.name(`anti_quant_${a.inputIndex}/AscendAntiQuant`), a.scaleD, a.offsetD);
        const only = this.graph.consumersOf(q.name);
        this.track(this.graph.insertOnEdge(q.name, anti, only));
      }
    }
  }

  replaceWeights(): void {
    const w = this.plan.weight;
    if (!w) return;
    const layer = this.plan.layer;
    const int8 = this.track(this.graph.addConst(`${layer.name}/weight_quant/int8`, makeTensor(DataType.DT_INT8, w.weightShape, w.weightInt8)));
    const offset = this.track(this.graph.addConst(`${layer.name}/weight_quant/offset_w`, makeTensor(DataType.DT_INT8, [w.offsetW.length], w.offsetW)));
    const wq = this.track(this.graph.addNode(ascendWeightQuantSpec(this.name('weight_quant/AscendWeightQuant'), int8.name, offset.name)));
    const oldWeight = this.graph.getNode(layer.name).inputs[layer.weightInput!];
    this.graph.replaceInput(layer.name, layer.weightInput!, wq.name);
    dropIfUnused(this.graph, this.graph.producerOf(oldWeight).name);
  }

  replaceBias(): void {
    const b = this.plan.bias;
    if (!b) return;
    const layer = this.plan.layer.name;
    const int32 = this.track(this.graph.addConst(`${layer}/bias_quant/int32`, makeTensor(DataType.DT_INT32, [b.biasInt32.length], b.biasInt32)));
    const cast = this.track(this.graph.addNode(castToFloatSpec(this.name('bias_quant/Cast'), int32.name)));
    const oldBias = this.graph.getNode(b.biasAdd).inputs[1];
    this.graph.replaceInput(b.biasAdd, 1, cast.name);
    dropIfUnused(this.graph, this.graph.producerOf(oldBias).name);
  }

  /** AscendDequant after the layer (or its BiasAdd); returns a rename if an output needed it. */
  dequantize(outputs: ReadonlySet<string>): [string, string] | undefined {
    const { deqScale, layer } = this.plan;
    if (!deqScale) return undefined;
    let tail = this.plan.bias?.biasAdd ?? layer.name;
    const deqConst = this.track(this.graph.addConst(`${layer.name}/dequant/deq_scale`, makeTensor(DataType.DT_UINT64, [deqScale.length], deqScale)));
    let rename: [string, string] | undefined;
    let deqName = this.name('dequant/AscendDequant');
    if (outputs.has(tail)) {
      // The user fetches this node: the dequantized value must keep its name.
      const moved = this.graph.uniqueName(`${tail}/before_dequant`);
      this.graph.renameNode(tail, moved);
      rename = [tail, moved];
      deqName = tail;
      tail = moved;
    }
    const spec = ascendDequantSpec(deqName, deqConst.name, this.plan.ksize, this.plan.dataFormat);
    this.track(this.graph.insertOnEdge(tail, spec));
    return rename;
  }
}

/**
 * Applies every plan. `outputs` are the node names the user fetches; a node among them
 * that gets an AscendDequant after it hands its name to the dequant.
 */
export function emitAscend(graph: Graph, plans: LayerPlan[], outputs: Iterable<string>): EmitReport {
  const outputSet = new Set([...outputs].map((o) => parseTensorName(o).node));
  const report: EmitReport = { added: new Map(), renamed: new Map() };
  for (const plan of plans) {
    const e = new LayerEmitter(graph, plan);
    e.quantizeInputs();
    e.replaceWeights();
    e.replaceBias();
    const rename = e.dequantize(outputSet);
    if (rename) report.renamed.set(rename[0], rename[1]);
    report.added.set(plan.layer.name, e.added);
  }
  return report;
}
