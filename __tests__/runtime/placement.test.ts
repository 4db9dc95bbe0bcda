/**
 * planMoves' per-thread rule (statistics/placement.ts balance): a thread with less work
 * than the main thread gets room to take main-thread layers, one with more a surplus to hand
 * back, half the imbalance per run, nothing within 10%. The calibration tests mock the
 * placement out, so a sign slip here would only slow calibration down, silently.
 */
import { balance } from '../../src/runtime/statistics/placement';

describe('statistics placement: balance', () => {
  test('a thread with less work gets room: half the imbalance, in values at both sides\' costs', () => {
    // Main 40 ms binning at 4 ns/value; thread busy 10 ms for 2.5 M values (4 ns), nothing queued.
    const plan = balance({ mainMs: 40, mainNs: 4, busyMs: 10, values: 2.5e6, backlog: 0 });
    expect(plan.threadNs).toBeCloseTo(4, 12);
    expect(plan.threadMs).toBeCloseTo(10, 12);
    // v = 0.5 · (40 − 10) ms / (4 + 4) ns = 1.875 M values
    expect(plan.room).toBeCloseTo(1.875e6, 3);
    expect(plan.surplus).toBe(0);
  });

  test('a thread with more work (its queue included) gets a surplus to hand back', () => {
    // Thread busy 20 ms for 4 M values (5 ns) with 4 M still queued: 40 ms of work against the main thread's 24.
    const plan = balance({ mainMs: 24, mainNs: 3, busyMs: 20, values: 4e6, backlog: 4e6 });
    expect(plan.threadMs).toBeCloseTo(40, 9);
    expect(plan.surplus).toBeCloseTo((0.5 * 16e6) / 8, 3);
    expect(plan.room).toBe(0);
  });

  test('within 10% nothing moves', () => {
    const plan = balance({ mainMs: 30, mainNs: 4, busyMs: 28, values: 7e6, backlog: 0 });
    expect([plan.room, plan.surplus]).toEqual([0, 0]);
  });

  test('no room while the main thread bins nothing of its own (its cost per value is unknown), but a surplus still', () => {
    expect(balance({ mainMs: 40, mainNs: 0, busyMs: 5, values: 1e6, backlog: 0 }).room).toBe(0);
    const slow = balance({ mainMs: 20, mainNs: 0, busyMs: 40, values: 8e6, backlog: 0 });
    expect(slow.surplus).toBeCloseTo((0.5 * 20e6) / 10, 3);
  });

  test('a thread that binned nothing this run is costed at the main thread\'s rate', () => {
    const plan = balance({ mainMs: 40, mainNs: 5, busyMs: 0, values: 0, backlog: 0 });
    expect(plan.threadNs).toBe(5);
    expect(plan.room).toBeCloseTo((0.5 * 40e6) / 10, 3);
  });
});
