/**
 * Recovery of the wasm backend after a WebAssembly trap (issue 11, item 2). Most traps
 * leave the module sound ("remainder by zero" in a kernel given an empty batch); but a
 * heap that was written over (tfjs writing a tensor at address 0 after a failed
 * malloc, before guardWasmAllocations existed, or any foreign code) makes every later op
 * trap with "memory access out of bounds", in every session of the process.
 *
 * After a trap the Session checks the module with a small computation; if that fails,
 * the wasm backend is replaced by a fresh instance of the module. Tensors on the old
 * one are lost: sessions reload their weights on their next run (they compare
 * wasmGeneration()), and the caller's own wasm tensors must be made again.
 */
import { describe } from '../errors';
import { log } from '../log';
import { tf } from './tfjs';
import { guardWasmAllocations } from './wasm-memory';

let generation = 0;

/** Changes each time the wasm backend is replaced; tensors of an older generation are gone. */
export function wasmGeneration(): number {
  return generation;
}

/** WebAssembly's trap error class (the lib settings here have no WebAssembly types). */
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

/** The error of class `kind` behind `e` (thrown directly or wrapped as a cause), if any. */
export function causeOfType<T>(e: unknown, kind: abstract new (...args: never[]) => T): T | undefined {
  for (let c = e, depth = 0; c !== undefined && c !== null && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (c instanceof kind) return c;
  }
  return undefined;
}

/** A WebAssembly trap behind `e` (thrown directly or wrapped as a cause). */
export function isWasmTrap(e: unknown): boolean {
  return causeOfType(e, RuntimeError) !== undefined;
}

/** 1 + [1, 2, 3] on the current (wasm) backend gives [2, 3, 4]. */
function computesRight(): boolean {
  try {
    const v = tf.tidy(() => tf.add(tf.tensor1d([1, 2, 3]), tf.scalar(1)).dataSync());
    return v[0] === 2 && v[1] === 3 && v[2] === 4;
  } catch {
    return false;
  }
}

/**
 * After a trap on wasm (wasm being the active backend): true when the module was broken
 * and has been replaced, false when it still computes right and was kept.
 */
export async function recoverWasmAfterTrap(): Promise<boolean> {
  if (computesRight()) return false;
  const factory = tf.findBackendFactory('wasm');
  if (!factory) return false;
  const engine = tf.engine() as unknown as { registry: Record<string, { dispose(): void }> };
  const broken = engine.registry.wasm;
  if (broken) {
    const dispose = broken.dispose.bind(broken);
    broken.dispose = () => {
      try {
        dispose();
      } catch {
        // the module is broken: there is nothing left to free cleanly
      }
    };
  }
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
  generation++;
  try {
    await tf.setBackend('wasm');
    guardWasmAllocations();
  } catch (e) {
    log.warn(`the wasm backend could not be restarted: ${describe(e)}`);
    return false;
  }
  log.warn('the wasm backend was broken by an earlier failure (its memory no longer computes right) and has been restarted; tensors made on it before are lost');
  if (!computesRight()) log.warn('the restarted wasm backend still does not compute right');
  return true;
}
