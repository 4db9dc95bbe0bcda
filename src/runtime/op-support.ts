/**
 * Which op types a Session can run: those tfjs-converter maps (its operation-mapper JSON
 * lists) and our custom kernels (ops a user registered with tfjs's own registerOp are not
 * visible: the converter does not export its registry). The converter
 * only fails on an unknown op when execution reaches it, one op at a time; we check the
 * whole graph at Session.create and report every offending node at once.
 *
 * The converter's Node bundle does not export its op list, but the package ships the
 * lists as small ES modules (dist/operations/op_list/*.js, `export const json = [...]`)
 * and names the ones it uses in operation_mapper.js; we evaluate exactly those, as data.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { SessionError } from '../errors';
import type { Graph } from '../ir';

let tfjsOps: Set<string> | undefined;

function operationsDir(): string {
  const pkg = require.resolve('@tensorflow/tfjs-converter/package.json');
  return path.join(path.dirname(pkg), 'dist', 'operations');
}

function readOpList(file: string): { tfOpName: string }[] {
  const source = fs.readFileSync(file, 'utf8').replace(/export\s+const\s+json\s*=/, 'module.exports.json =');
  const sandbox = { module: { exports: {} as { json?: { tfOpName: string }[] } } };
  vm.runInNewContext(source, sandbox, { filename: file, timeout: 1000 });
  return sandbox.module.exports.json ?? [];
}

/** Op types tfjs-converter's executor knows, read once per process. */
export function tfjsConverterOps(): ReadonlySet<string> {
  if (tfjsOps) return tfjsOps;
  const dir = operationsDir();
  const mapper = fs.readFileSync(path.join(dir, 'operation_mapper.js'), 'utf8');
  const lists = [...mapper.matchAll(/from\s+'\.\/op_list\/([a-z_]+)'/g)].map((m) => m[1]);
  const ops = new Set<string>();
  for (const list of lists) for (const m of readOpList(path.join(dir, 'op_list', `${list}.js`))) ops.add(m.tfOpName);
  if (ops.size < 100) throw new Error(`amct-ts internal error: read only ${ops.size} tfjs ops from ${dir}`);
  tfjsOps = ops;
  return ops;
}

/** Unsupported op type → names of the nodes using it, in graph order. */
export function findUnsupportedOps(graph: Graph, hasKernel: (op: string) => boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const known = tfjsConverterOps();
  const used = [...graph.nodes().map((n) => ({ name: n.name, op: n.op })), ...functionNodes(graph)];
  for (const node of used) {
    if (known.has(node.op) || hasKernel(node.op)) continue;
    const names = out.get(node.op) ?? [];
    names.push(node.name);
    out.set(node.op, names);
  }
  return out;
}

interface JsonFunction {
  signature?: { name?: string };
  nodeDef?: { name?: string; op?: string }[];
}

/** Nodes inside the function library (TF2 control flow bodies), named "function/node". */
function functionNodes(graph: Graph): { name: string; op: string }[] {
  const functions = (graph.meta.library?.json as { function?: JsonFunction[] } | undefined)?.function ?? [];
  return functions.flatMap((f) =>
    (f.nodeDef ?? []).filter((n) => typeof n.op === 'string').map((n) => ({ name: `${f.signature?.name ?? '?'}/${n.name}`, op: n.op! })),
  );
}

const NAMES_SHOWN = 20;

/** Throws UNSUPPORTED_OP naming every node, grouped by op type. */
export function checkOpsSupported(graph: Graph, hasKernel: (op: string) => boolean): void {
  const unsupported = findUnsupportedOps(graph, hasKernel);
  if (unsupported.size === 0) return;
  const total = [...unsupported.values()].reduce((n, names) => n + names.length, 0);
  const groups = [...unsupported].map(([op, names]) => {
    const shown = names.slice(0, NAMES_SHOWN).join(', ');
    const more = names.length > NAMES_SHOWN ? `, ... ${names.length - NAMES_SHOWN} more` : '';
    return `${op} (${names.length} node${names.length > 1 ? 's' : ''}: ${shown}${more})`;
  });
  const error = new SessionError(
    'UNSUPPORTED_OP',
    `${total} node${total > 1 ? 's use' : ' uses'} op types the TensorFlow.js runtime cannot run: ${groups.join('; ')}`,
    {
      node: [...unsupported.values()][0][0],
      hint: 'register a kernel for each op type with registerKernel(opType, kernel), or remove these nodes from the graph',
    },
  );
  throw Object.assign(error, { unsupported });
}
