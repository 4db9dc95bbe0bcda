/**
 * The graph IR: nodes by name in GraphDef order, with producer → consumer links kept
 * up to date by the edit methods. Passes never edit `inputs` by hand; they call
 * insertOnEdge / replaceInput / replaceNode / removeNode, so the graph stays consistent.
 */
import { GraphError } from '../errors';
import type { GraphMeta, NodeDef, TensorValue } from './types';
import { attr } from './attr';
import { canonicalTensorName, formatTensorName, parseTensorName, TensorRef } from './tensor-name';
import { topologicalOrder, validateGraph } from './graph-order';

export interface Consumer {
  node: NodeDef;
  /** Position in node.inputs. */
  inputIndex: number;
}

/** What a caller gives to make a node; inputs may be omitted. */
export interface NodeSpec {
  name: string;
  op: string;
  inputs?: string[];
  controlInputs?: string[];
  device?: string;
  attr?: NodeDef['attr'];
}

export class Graph {
  meta: GraphMeta;
  private readonly byName = new Map<string, NodeDef>();
  /** producer node name → names of nodes that read any of its outputs or depend on it. */
  private readonly readers = new Map<string, Set<string>>();

  constructor(nodes: Iterable<NodeDef> = [], meta: GraphMeta = {}) {
    this.meta = meta;
    for (const n of nodes) this.addNodeUnchecked(n);
  }

  // ---- reading -------------------------------------------------------------

  get size(): number {
    return this.byName.size;
  }

  /** Nodes in GraphDef order (new nodes are appended). */
  nodes(): NodeDef[] {
    return [...this.byName.values()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  node(name: string): NodeDef | undefined {
    return this.byName.get(name);
  }

  /** The node, or a GraphError naming it. */
  getNode(name: string): NodeDef {
    const n = this.byName.get(name);
    if (!n) {
      throw new GraphError('NODE_NOT_FOUND', `node "${name}" does not exist in the graph`, {
        node: name,
        hint: 'check the spelling; names are case-sensitive and include scopes ("a/b/Conv2D")',
      });
    }
    return n;
  }

  /** The node that produces a tensor ("x:1" → node x). */
  producerOf(tensor: string): NodeDef {
    return this.getNode(parseTensorName(tensor).node);
  }

  /** The node behind data input `i` of `node`. */
  inputNode(node: NodeDef, i: number): NodeDef {
    return this.producerOf(node.inputs[i]);
  }

  /** Nodes reading a given tensor, with the input position. */
  consumersOf(tensor: string): Consumer[] {
    const ref = parseTensorName(tensor);
    const out: Consumer[] = [];
    for (const readerName of this.readers.get(ref.node) ?? []) {
      const reader = this.byName.get(readerName)!;
      reader.inputs.forEach((input, inputIndex) => {
        const r = parseTensorName(input);
        if (r.node === ref.node && r.index === ref.index) out.push({ node: reader, inputIndex });
      });
    }
    return out;
  }

  /** Every node that reads any output of `name` through a data input. */
  dataConsumersOfNode(name: string): Consumer[] {
    const out: Consumer[] = [];
    for (const readerName of this.readers.get(name) ?? []) {
      const reader = this.byName.get(readerName)!;
      reader.inputs.forEach((input, inputIndex) => {
        if (parseTensorName(input).node === name) out.push({ node: reader, inputIndex });
      });
    }
    return out;
  }

  /** Nodes that have `name` as a control input. */
  controlDependents(name: string): NodeDef[] {
    return [...(this.readers.get(name) ?? [])].map((n) => this.byName.get(n)!).filter((n) => n.controlInputs.includes(name));
  }

  /** Names not yet taken: `base`, else `base_1`, `base_2`, ... */
  uniqueName(base: string): string {
    if (!this.byName.has(base)) return base;
    for (let i = 1; ; i++) {
      const candidate = `${base}_${i}`;
      if (!this.byName.has(candidate)) return candidate;
    }
  }

  // ---- editing -------------------------------------------------------------

  /** Adds a node; its inputs must exist (use validate() for graphs built in bulk). */
  addNode(spec: NodeSpec): NodeDef {
    if (this.byName.has(spec.name)) {
      throw new GraphError('DUPLICATE_NODE', `a node named "${spec.name}" already exists`, {
        node: spec.name,
        hint: 'pick a name with graph.uniqueName()',
      });
    }
    const node: NodeDef = {
      name: spec.name,
      op: spec.op,
      inputs: [...(spec.inputs ?? [])],
      controlInputs: [...(spec.controlInputs ?? [])],
      device: spec.device ?? '',
      attr: { ...(spec.attr ?? {}) },
    };
    for (const t of node.inputs) this.getNode(parseTensorName(t).node);
    for (const c of node.controlInputs) this.getNode(c);
    this.addNodeUnchecked(node);
    return node;
  }

  /** Adds a Const node holding `value`, under a unique name derived from `name`. */
  addConst(name: string, value: TensorValue): NodeDef {
    return this.addNode({
      name: this.uniqueName(name),
      op: 'Const',
      attr: { dtype: attr.type(value.dtype), value: attr.tensor(value) },
    });
  }

  /** Points data input `inputIndex` of `nodeName` at `tensor`. */
  replaceInput(nodeName: string, inputIndex: number, tensor: string): void {
    const node = this.getNode(nodeName);
    if (inputIndex < 0 || inputIndex >= node.inputs.length) {
      throw new GraphError('INVALID_GRAPH', `node ${nodeName} has no input ${inputIndex}`, { node: nodeName });
    }
    this.getNode(parseTensorName(tensor).node);
    const inputs = [...node.inputs];
    inputs[inputIndex] = tensor;
    this.setLinks(node, inputs, node.controlInputs);
  }

  /**
   * Puts a new node on the edge leaving `tensor`: the node reads `tensor` as input 0
   * (plus `spec.inputs` after it), and the consumers (all of them, or those given)
   * now read the new node's output 0. Returns the new node.
   */
  insertOnEdge(tensor: string, spec: NodeSpec, only?: Consumer[]): NodeDef {
    const consumers = only ?? this.consumersOf(tensor);
    const node = this.addNode({ ...spec, inputs: [tensor, ...(spec.inputs ?? [])] });
    for (const c of consumers) this.replaceInput(c.node.name, c.inputIndex, node.name);
    return node;
  }

  /** Makes every reader of `from` read `to` instead (data inputs only). */
  rewireConsumers(from: string, to: string): void {
    const toCanonical = canonicalTensorName(to);
    for (const c of this.consumersOf(from)) {
      if (c.node.name === parseTensorName(toCanonical).node) continue; // never make a node read itself
      this.replaceInput(c.node.name, c.inputIndex, to);
    }
  }

  /**
   * Replaces a node by another of the same name (new op, inputs or attrs); readers of
   * its outputs keep reading the same tensor names.
   */
  replaceNode(name: string, spec: Omit<NodeSpec, 'name'>): NodeDef {
    const old = this.getNode(name);
    const node: NodeDef = {
      name,
      op: spec.op,
      inputs: [...(spec.inputs ?? old.inputs)],
      controlInputs: [...(spec.controlInputs ?? old.controlInputs)],
      device: spec.device ?? old.device,
      attr: { ...(spec.attr ?? old.attr) },
    };
    for (const t of node.inputs) this.getNode(parseTensorName(t).node);
    this.unlink(old);
    this.byName.set(name, node);
    this.link(node);
    return node;
  }

  /**
   * Removes a node. Readers of its outputs are pointed at `rewire[outputIndex]` when
   * given (e.g. `{0: node.inputs[0]}` bypasses an Identity); otherwise the node must
   * have no readers left. Control dependents inherit its control inputs.
   */
  removeNode(name: string, rewire: Record<number, string> = {}): void {
    const node = this.getNode(name);
    for (const c of this.dataConsumersOfNode(name)) {
      const ref = parseTensorName(c.node.inputs[c.inputIndex]);
      const target = rewire[ref.index];
      if (target === undefined) {
        throw new GraphError('INVALID_GRAPH', `cannot remove ${name}: ${c.node.name} still reads ${formatTensorName(ref)}`, {
          node: name,
          hint: 'rewire its readers first or pass a replacement tensor',
        });
      }
      this.replaceInput(c.node.name, c.inputIndex, target);
    }
    for (const dependent of this.controlDependents(name)) {
      const merged = dependent.controlInputs.filter((c) => c !== name);
      for (const c of node.controlInputs) if (!merged.includes(c)) merged.push(c);
      this.setLinks(dependent, dependent.inputs, merged);
    }
    this.unlink(node);
    this.byName.delete(name);
    this.readers.delete(name);
  }

  /**
   * Gives a node a new name; every reader (data and control) follows. Used when an
   * inserted node must take over a name the user fetches (outputs keep their names).
   */
  renameNode(oldName: string, newName: string): NodeDef {
    const node = this.getNode(oldName);
    if (this.byName.has(newName)) {
      throw new GraphError('DUPLICATE_NODE', `cannot rename ${oldName}: a node named "${newName}" already exists`, { node: oldName });
    }
    const readers = [...(this.readers.get(oldName) ?? [])].map((n) => this.byName.get(n)!);
    for (const r of readers) this.unlink(r);
    this.unlink(node);
    this.byName.delete(oldName);
    this.readers.delete(oldName);
    node.name = newName;
    this.byName.set(newName, node);
    this.link(node);
    for (const r of readers) {
      const inputs = r.inputs.map((t) => {
        const ref = parseTensorName(t);
        return ref.node === oldName ? formatTensorName({ node: newName, index: ref.index }) : t;
      });
      const controls = r.controlInputs.map((c) => (c === oldName ? newName : c));
      (r as { inputs: readonly string[] }).inputs = inputs;
      (r as { controlInputs: readonly string[] }).controlInputs = controls;
      this.link(r);
    }
    return node;
  }

  /** Adds or drops control inputs of a node. */
  setControlInputs(nodeName: string, controlInputs: string[]): void {
    const node = this.getNode(nodeName);
    for (const c of controlInputs) this.getNode(c);
    this.setLinks(node, node.inputs, controlInputs);
  }

  // ---- order and checks (graph-order.ts) ------------------------------------

  /** Nodes so that every node comes after its inputs; a cycle is a GraphError naming it. */
  topologicalOrder(): NodeDef[] {
    return topologicalOrder(this);
  }

  /** Throws a GraphError for the first problem: duplicate names, dangling inputs, cycles. */
  validate(): void {
    validateGraph(this);
  }

  /** A deep-enough copy: nodes and attr maps are new; tensor data is shared (treat as immutable). */
  clone(): Graph {
    return new Graph(
      this.nodes().map((n) => ({ ...n, inputs: [...n.inputs], controlInputs: [...n.controlInputs], attr: { ...n.attr } })),
      { ...this.meta },
    );
  }

  // ---- internals -----------------------------------------------------------

  private addNodeUnchecked(node: NodeDef): void {
    if (this.byName.has(node.name)) {
      throw new GraphError('DUPLICATE_NODE', `two nodes are named "${node.name}"`, {
        node: node.name,
        hint: 'node names in a GraphDef must be unique; re-export the model',
      });
    }
    this.byName.set(node.name, node);
    this.link(node);
  }

  private setLinks(node: NodeDef, inputs: readonly string[], controlInputs: readonly string[]): void {
    this.unlink(node);
    (node as { inputs: readonly string[] }).inputs = [...inputs];
    (node as { controlInputs: readonly string[] }).controlInputs = [...controlInputs];
    this.link(node);
  }

  private link(node: NodeDef): void {
    const producers = [...node.inputs.map((t) => parseTensorName(t).node), ...node.controlInputs];
    for (const p of producers) {
      let set = this.readers.get(p);
      if (!set) this.readers.set(p, (set = new Set()));
      set.add(node.name);
    }
  }

  private unlink(node: NodeDef): void {
    const producers = [...node.inputs.map((t) => parseTensorName(t).node), ...node.controlInputs];
    for (const p of producers) this.readers.get(p)?.delete(node.name);
  }
}

export type { TensorRef };
