/**
 * The part of a graph a caller actually runs, as a model file of its own.
 *
 * human runs handtrack only up to two tensors before the graph's own post-processing (NMS
 * in While loops, which it never fetches). The graph's pre-processing is a While loop too
 * (a map over the batch: cast, x·2/255 − 1, resize to 320×320). INT8 graphs with control
 * flow leak ~700 MB per run on wasm today (another branch fixes it), which ends a
 * measurement after ~5 runs; so the model measured here starts after the pre-processing
 * loop (a float32 Placeholder where its result was) and ends at human's two tensors, and
 * the harness does the pre-processing itself (identical for 320×320 inputs, where the
 * loop's resize is the identity). The quantized layers are the same.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as amct from '../../src';

/** Nodes `outputs` depend on (data and control inputs). */
function ancestors(graph: amct.Graph, outputs: string[]): Set<string> {
  const keep = new Set<string>();
  const stack = outputs.map((o) => amct.parseTensorName(o).node);
  while (stack.length) {
    const name = stack.pop()!;
    if (keep.has(name)) continue;
    keep.add(name);
    const node = graph.getNode(name);
    for (const input of node.inputs) stack.push(amct.parseTensorName(input).node);
    stack.push(...node.controlInputs);
  }
  return keep;
}

export interface NewInput {
  /** The node whose output becomes the model's input. */
  node: string;
  /** Name of the Placeholder replacing it. */
  name: string;
  shape: number[];
}

/** Writes `outDir/<name>.pb` (once; reused after): `model` from `input` (when given) to `outputs`. */
export async function prunedModel(model: string, outputs: string[], outDir: string, name: string, input?: NewInput): Promise<string> {
  const file = path.join(outDir, `${name}.pb`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(outDir, { recursive: true });
  const graph = await amct.loadGraph(model);
  if (input) {
    graph.replaceNode(input.node, { op: 'Placeholder', inputs: [], controlInputs: [], attr: { dtype: amct.attr.type(amct.DataType.DT_FLOAT), shape: amct.attr.shape(input.shape) } });
    graph.renameNode(input.node, input.name);
  }
  const keep = ancestors(graph, outputs);
  const pruned = new amct.Graph(graph.nodes().filter((n) => keep.has(n.name)), { versions: graph.meta.versions });
  await amct.saveGraph(pruned, file);
  return file;
}
