/**
 * Running the tfjs GraphModel: `execute` (synchronous, faster) unless the graph needs
 * `executeAsync` (control flow, dynamic shapes, hash tables, async kernels), and tfjs's
 * bare errors turned into EXECUTION_FAILED naming the node when the message allows.
 */
import { AmctError, describe, SessionError } from '../errors';
import type { Graph } from '../ir';
import { log } from '../log';
import type { KernelHost } from './kernels';
import { converter, tf } from './tfjs';

/** The ops tfjs-converter refuses to run with execute() (its GraphExecutor's lists). */
const ASYNC_OPS = new Set([
  'Switch', 'Merge', 'Enter', 'Exit', 'NextIteration', 'StatelessIf', 'StatelessWhile', 'If', 'While',
  'NonMaxSuppressionV2', 'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5', 'Where',
  'HashTable', 'HashTableV2', 'LookupTableImport', 'LookupTableImportV2', 'LookupTableFind', 'LookupTableFindV2',
  'LookupTableSize', 'LookupTableSizeV2',
]);

export function needsAsync(graph: Graph): boolean {
  return graph.nodes().some((n) => ASYNC_OPS.has(n.op));
}

export interface Executed {
  outputs: (tf.Tensor | undefined)[];
  /** Whether the run needed executeAsync (remembered for the next run). */
  async: boolean;
}

function asList(result: tf.Tensor | tf.Tensor[]): (tf.Tensor | undefined)[] {
  return Array.isArray(result) ? result : [result];
}

export async function executeModel(model: ReturnType<typeof converter.loadGraphModelSync>, host: KernelHost, feeds: Record<string, tf.Tensor>, names: string[], useAsync: boolean): Promise<Executed> {
  if (!useAsync) {
    host.mode = 'sync';
    try {
      return { outputs: asList(model.execute(feeds, names)), async: false };
    } catch (e) {
      // Our op list can lag behind tfjs's: trust its verdict and switch for good.
      if (e instanceof AmctError || !/executeAsync/.test(describe(e))) throw e;
      log.debug(`switching to executeAsync: ${describe(e).split('\n')[0]}`);
    }
  }
  host.mode = 'async';
  const restore = muteExecuteAsyncAdvice();
  try {
    return { outputs: asList(await model.executeAsync(feeds, names)), async: true };
  } finally {
    restore();
  }
}

const ADVICE = 'This model execution did not contain any nodes with control flow';

/**
 * A graph that needs executeAsync only for an async kernel makes tfjs console.warn on
 * every run that execute() would do; it would not (the kernel returns a Promise). Drop
 * that one message while our run is in flight and forward everything else.
 */
function muteExecuteAsyncAdvice(): () => void {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith(ADVICE)) return;
    original.apply(console, args);
  };
  return () => {
    console.warn = original;
  };
}

/** A node of the graph named in a tfjs message ('name' or "name" or dict['name']). */
function nodeInMessage(message: string, graph: Graph): string | undefined {
  for (const m of message.matchAll(/['"]([^'"]+)['"]/g)) {
    const name = m[1].replace(/:\d+$/, '');
    if (graph.has(name)) return name;
  }
  return undefined;
}

/** `locate` replays the graph to find the failing node when the message names none. */
export function wrapExecutionError(e: unknown, graph: Graph, locate?: () => string | undefined): AmctError {
  if (e instanceof AmctError) return e;
  const message = describe(e);
  let node = nodeInMessage(message, graph);
  if (node === undefined && locate) {
    try {
      node = locate();
    } catch {
      node = undefined; // diagnosis is best effort; the original error is what matters
    }
  }
  return new SessionError('EXECUTION_FAILED', `TensorFlow.js failed to run the graph${node ? ` at node ${node} (${graph.getNode(node).op})` : ''}: ${message}`, {
    node,
    cause: e,
    hint: 'check the feeds\' values and shapes; if they are right, the graph uses an op in a way tfjs does not support',
  });
}
