/**
 * Kernels for op types TensorFlow.js does not know (QuantIfmr, QuantHfmg, QuantArq,
 * AscendQuant, AscendWeightQuant, AscendDequant, AscendAntiQuant, ...).
 *
 * tfjs-converter's registerOp is global per process, while kernels need per-session
 * state. So each op type is registered once with a shim, and every Session stamps its
 * private tfjs copy of the graph: each custom node gets two int attrs, the session id
 * and the node's index in that session's table. The shim reads them and calls the kernel
 * with that session's node and state. (String attrs would not do: tfjs lower-cases them.)
 */
import { AmctError, describe, SessionError } from '../errors';
import type { NodeDef } from '../ir';
import { converter, tf } from './tfjs';
import { tfjsConverterOps } from './op-support';
import type { Session } from './session';

export interface KernelContext {
  /** The node in the session's graph, with its original attrs (read them with attrFloat, ...). */
  node: NodeDef;
  /** Data inputs in order, constants already translated (see const-translation.ts). Do not dispose. */
  inputs: tf.Tensor[];
  session: Session;
  /** State of this node in this session: kept across runs, dropped by session.dispose(). */
  state: Map<string, unknown>;
}

export type KernelResult = tf.Tensor | tf.Tensor[];
export type Kernel = (ctx: KernelContext) => KernelResult | Promise<KernelResult>;

export interface KernelOptions {
  /**
   * The kernel returns a Promise. Sessions whose graph has such a node run with
   * executeAsync. Sync kernels run inside tf.tidy (their intermediates are freed);
   * async kernels must free their own intermediates.
   */
  async?: boolean;
  /**
   * Called before every run of a session whose graph has nodes of this op (e.g. to start
   * a helper thread); `fedValues`: how many values the run's feeds hold.
   */
  beforeRun?: (session: Session, nodes: NodeDef[], fedValues: number) => void | Promise<void>;
  /** Called after every successful run of a session whose graph has nodes of this op. */
  afterRun?: (session: Session, nodes: NodeDef[]) => void | Promise<void>;
  /** Called when a session whose graph has nodes of this op is released, before its state is dropped. */
  onDispose?: (session: Session, nodes: NodeDef[]) => void;
}

export interface KernelRegistration {
  opType: string;
  kernel: Kernel;
  options: KernelOptions;
}

/** Where a session's custom nodes live, for the shim. */
export interface KernelHost {
  session: Session;
  entry(index: number): { node: NodeDef; state: Map<string, unknown> } | undefined;
  /** How the current run executes: a sync run cannot await a kernel's Promise. */
  mode: 'sync' | 'async';
}

export const SESSION_ATTR = '_amct_session';
export const NODE_ATTR = '_amct_node';

const registry = new Map<string, KernelRegistration>();
const hosts = new Map<number, KernelHost>();

/**
 * Adds a kernel for an op type tfjs does not run. Registering an op type twice, or one
 * that tfjs already runs, throws: a silent replacement would change every session.
 */
export function registerKernel(opType: string, kernel: Kernel, options: KernelOptions = {}): void {
  if (typeof opType !== 'string' || !/^[A-Za-z_][A-Za-z0-9_>.-]*$/.test(opType)) {
    throw new SessionError('INVALID_ARGUMENT', `"${opType}" is not a TensorFlow op type name`, { hint: 'op type names are CamelCase identifiers such as "AscendQuant"' });
  }
  if (registry.has(opType)) {
    throw new SessionError('INVALID_ARGUMENT', `a kernel for op type ${opType} is already registered`, {
      hint: 'register each op type once, at module load; kernels are per process',
    });
  }
  if (tfjsConverterOps().has(opType)) {
    throw new SessionError('INVALID_ARGUMENT', `op type ${opType} is run by TensorFlow.js itself and cannot get a custom kernel`, { hint: 'register kernels only for op types TensorFlow.js does not know' });
  }
  const registration: KernelRegistration = { opType, kernel, options: { ...options } };
  registry.set(opType, registration);
  converter.registerOp(opType, (nodeValue) => dispatch(registration, nodeValue as unknown as NodeValue));
}

export function getKernel(opType: string): KernelRegistration | undefined {
  return registry.get(opType);
}

export function registeredKernelOps(): string[] {
  return [...registry.keys()].sort();
}

export function attachHost(id: number, host: KernelHost): void {
  hosts.set(id, host);
}

export function detachHost(id: number): void {
  hosts.delete(id);
}

/** What tfjs-converter hands a custom op (its NodeValue). */
interface NodeValue {
  inputs: tf.Tensor[];
  attrs: Record<string, unknown>;
}

function dispatch(reg: KernelRegistration, nv: NodeValue): tf.Tensor[] | Promise<tf.Tensor[]> {
  const host = hosts.get(Number(nv.attrs[SESSION_ATTR]));
  const entry = host?.entry(Number(nv.attrs[NODE_ATTR]));
  if (!host || !entry) {
    throw new SessionError('EXECUTION_FAILED', `a ${reg.opType} node ran outside an amct-ts Session`, {
      hint: 'graphs with custom ops run through Session.create(graph).run(...)',
    });
  }
  const ctx: KernelContext = { node: entry.node, inputs: nv.inputs, session: host.session, state: entry.state };
  // A sync kernel runs inside tidy even when the graph runs with executeAsync (control
  // flow): returning its Promise-less result there is fine, and without tidy every
  // intermediate it makes would outlive the run (~1,500 tensors per run on handtrack INT8).
  if (reg.options.async && host.mode === 'async') return runAsync(reg, ctx);
  try {
    return tf.tidy(() => {
      const result = reg.kernel(ctx);
      if (result instanceof Promise) {
        result.catch(() => undefined); // its failure is reported below, not as an unhandled rejection
        throw new Error(`the kernel returned a Promise; register ${reg.opType} with { async: true }`);
      }
      return ownOutputs(result, ctx.inputs);
    });
  } catch (e) {
    throw kernelFailure(reg, ctx.node, e);
  }
}

async function runAsync(reg: KernelRegistration, ctx: KernelContext): Promise<tf.Tensor[]> {
  try {
    return ownOutputs(await reg.kernel(ctx), ctx.inputs);
  } catch (e) {
    throw kernelFailure(reg, ctx.node, e);
  }
}

/**
 * The executor frees each node's outputs when their readers are done; a kernel that
 * passes an input through (QuantIfmr does) must hand back a clone, or the input would be
 * freed twice.
 */
function ownOutputs(result: KernelResult, inputs: tf.Tensor[]): tf.Tensor[] {
  const list = Array.isArray(result) ? result : [result];
  return list.map((t) => (inputs.includes(t) ? tf.clone(t) : t));
}

function kernelFailure(reg: KernelRegistration, node: NodeDef, e: unknown): AmctError {
  if (e instanceof AmctError) return e;
  return new SessionError('EXECUTION_FAILED', `kernel ${reg.opType} failed on node ${node.name}: ${describe(e)}`, {
    node: node.name,
    cause: e,
    hint: 'check the node\'s inputs and attributes; this is a bug in the kernel if they are valid',
  });
}
