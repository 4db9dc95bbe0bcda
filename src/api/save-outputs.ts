/**
 * Output names of the deployable graph. The user names outputs as they are in the model
 * they gave us; after unfusing a TensorFlow.js op or folding a BN, the value may sit on
 * another node, and SPEC §6 promises outputs keep their names. So the node that now
 * computes an output takes the output's name back; a layer that held the name (the plain
 * Conv2D of an unfused _FusedConv2D keeps the fused node's name) moves aside.
 */
import { GraphError, QuantizeError } from '../errors';
import { parseTensorName } from '../ir';
import type { Graph } from '../ir';
import type { SaveMode } from './save-record';

/** Node names of `outputs`, each checked to exist in the model as loaded. */
export function checkOutputs(mode: SaveMode, graph: Graph, outputs: unknown, file: string): string[] {
  if (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every((o) => typeof o === 'string')) {
    throw new QuantizeError('INVALID_ARGUMENT', `outputs of ${mode} must be a non-empty list of node names`, {
      hint: 'give the names of the model\'s output nodes, e.g. ["MobilenetV2/Predictions/Reshape_1"]',
    });
  }
  const nodes: string[] = [];
  for (const o of outputs as string[]) {
    const node = parseTensorName(o).node;
    if (!graph.has(node)) {
      throw new GraphError('NODE_NOT_FOUND', `output ${o} does not exist in the model`, {
        file,
        node,
        hint: 'outputs are node names of the original model (names are case-sensitive and include scopes)',
      });
    }
    if (!nodes.includes(node)) nodes.push(node);
  }
  return nodes;
}

interface ReaderNote {
  reader: string;
  op: string;
  inputIndex: number;
}

/**
 * Follows the user's outputs through prepareGraph. prepareGraph reports the outputs that
 * moved when nothing read them; a fetched node that other nodes also read (an unfused
 * _FusedConv2D in the middle of a net, a folded Mul) moved too, and its readers show
 * where: one reader is noted before the rewrite and looked at after.
 */
export class OutputTracker {
  private readonly notes = new Map<string, ReaderNote>();
  private holders = new Map<string, string>();

  /** `graph` as loaded, before prepareGraph. */
  constructor(graph: Graph, private readonly outputs: readonly string[]) {
    for (const o of outputs) {
      const reader = graph.dataConsumersOfNode(o).find((c) => parseTensorName(c.node.inputs[c.inputIndex]).index === 0);
      if (reader) this.notes.set(o, { reader: reader.node.name, op: reader.node.op, inputIndex: reader.inputIndex });
    }
  }

  /** After prepareGraph: the node holding each output's value, in the order of the outputs. */
  afterPrepare(graph: Graph, renamedOutputs: ReadonlyMap<string, string>): string[] {
    for (const o of this.outputs) {
      const reported = renamedOutputs.get(o);
      const note = this.notes.get(o);
      const reader = note && graph.node(note.reader);
      const read = reader && reader.op === note!.op ? parseTensorName(reader.inputs[note!.inputIndex]).node : undefined;
      const holder = reported !== undefined ? parseTensorName(reported).node : (read ?? o);
      if (holder !== o) this.holders.set(o, holder);
    }
    return this.outputs.map((o) => this.holders.get(o) ?? o);
  }

  /**
   * After emission: gives each moved output its name back (the node now holding the
   * name moves aside to `<name>/<op>`). Returns the renames, old name → new name.
   */
  restore(graph: Graph): [string, string][] {
    const renames: [string, string][] = [];
    for (const [o, holder] of this.holders) {
      if (!graph.has(holder)) continue;
      if (graph.has(o)) {
        const aside = graph.uniqueName(`${o}/${graph.getNode(o).op}`);
        graph.renameNode(o, aside);
        renames.push([o, aside]);
      }
      graph.renameNode(holder, o);
      renames.push([holder, o]);
    }
    return renames;
  }
}
