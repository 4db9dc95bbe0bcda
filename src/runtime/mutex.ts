/**
 * tfjs has one global backend per process, and a run switches it. Runs of every Session
 * in the process therefore go through this one queue, so that two sessions on different
 * backends can never interleave a backend switch with each other's kernels.
 */
import { AsyncLocalStorage } from 'async_hooks';
import { SessionError } from '../errors';

let tail: Promise<unknown> = Promise.resolve();
/** Set inside a queued task, so that a nested call fails instead of waiting forever. */
const insideTask = new AsyncLocalStorage<true>();

/** Runs `task` after every task queued before it has settled. */
export function serialize<T>(task: () => Promise<T>): Promise<T> {
  if (insideTask.getStore()) {
    return Promise.reject(
      new SessionError('INVALID_ARGUMENT', 'Session.create or session.run was called from inside a kernel or an afterRun hook', {
        hint: 'runs are queued one after another, so this would wait forever; do the work after run() resolves',
      }),
    );
  }
  const result = tail.then(() => insideTask.run(true, task));
  tail = result.catch(() => undefined);
  return result;
}
