/**
 * `amct-ts inspect --model FILE [--json]`: the model's inputs, outputs and quantizable
 * layers (inspectModel), printed for a person, or as JSON for scripts. This is how a user
 * finds the names --input_shape and --outputs (or Session.run's feeds and fetches) need.
 */
import { parseArgs } from 'util';
import type { Graph } from '../ir';
import type { ModelInspection, InspectedTensor, SignatureTensor } from '../api/inspect-model';
import type { TextSink } from './progress';
import { UsageError } from './usage-error';

export const INSPECT_HELP = `Usage: amct-ts inspect --model MODEL [--json] [--no_fusion]

Prints a model's inputs (placeholders: names, dtypes, shapes), its outputs (the nodes
nothing reads; for TensorFlow.js models also the signature's outputs), and the layers
amct-ts quantizes, with the reason for each layer it cannot quantize.

Options:
  --model PATH     frozen GraphDef .pb, or a TensorFlow.js model.json
  --json           print the result as JSON
  --no_fusion      list layers as a config with "do_fusion": false sees them
  -h, --help       show this help

Example:
  amct-ts inspect --model model/mobilenet_v2.pb
`;

export interface InspectArgs {
  model: string;
  json: boolean;
  doFusion: boolean;
}

/** Parses argv after "inspect"; undefined when help was asked for. */
export function parseInspectArgs(argv: string[]): InspectArgs | undefined {
  let values: { model?: string; json?: boolean; no_fusion?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { model: { type: 'string' }, json: { type: 'boolean' }, no_fusion: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), { hint: 'run "amct-ts inspect --help" for the options' });
  }
  if (values.help) return undefined;
  if (!values.model) throw new UsageError('--model is required', { field: '--model', hint: 'e.g. amct-ts inspect --model model.pb' });
  return { model: values.model, json: values.json === true, doFusion: values.no_fusion !== true };
}

/** The SDK functions the command uses, loaded lazily (no tfjs is needed to inspect). */
export interface InspectDeps {
  loadGraph(path: string): Promise<Graph>;
  inspectModel(graph: Graph, options: { doFusion: boolean }): ModelInspection;
}

export async function loadInspectDeps(): Promise<InspectDeps> {
  const [{ loadGraph }, { inspectModel }] = await Promise.all([import('../io'), import('../api/inspect-model')]);
  return { loadGraph, inspectModel };
}

export async function runInspect(args: InspectArgs, deps: InspectDeps, stdout: TextSink): Promise<ModelInspection> {
  const result = deps.inspectModel(await deps.loadGraph(args.model), { doFusion: args.doFusion });
  stdout.write(args.json ? JSON.stringify(result, null, 2) + '\n' : formatInspection(args.model, result));
  return result;
}

function shapeText(shape: number[] | undefined): string {
  return shape ? `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(',')}]` : 'shape unknown';
}

function tensorLine(t: InspectedTensor): string {
  return `  ${t.name}  ${t.op}  ${t.dtype ?? 'dtype unknown'}  ${shapeText(t.shape)}`;
}

function signatureLine(t: SignatureTensor): string {
  return `  ${t.name}  (signature key ${t.key})  ${t.dtype ?? 'dtype unknown'}  ${shapeText(t.shape)}`;
}

export function formatInspection(model: string, r: ModelInspection): string {
  const lines = [`Model ${model}: ${r.nodeCount} nodes`, '', `Inputs (${r.inputs.length}), feed these:`, ...r.inputs.map(tensorLine)];
  lines.push('', `Outputs (${r.outputs.length}, nodes nothing reads), fetch these:`, ...r.outputs.map(tensorLine));
  if (r.signature) {
    lines.push('', 'Signature inputs:', ...r.signature.inputs.map(signatureLine));
    lines.push('Signature outputs:', ...r.signature.outputs.map(signatureLine));
  }
  lines.push('', `Quantizable layers (${r.quantizable.length}):`, ...r.quantizable.map((l) => `  ${l.name}  ${l.op}  ${l.kind}`));
  if (r.notQuantizable.length > 0) {
    lines.push('', `Not quantizable (${r.notQuantizable.length}):`, ...r.notQuantizable.map((l) => `  ${l.name}  ${l.op}: ${l.reason}`));
  }
  return lines.join('\n') + '\n';
}
