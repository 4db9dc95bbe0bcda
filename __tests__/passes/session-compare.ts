/** Runs two graphs on the same feeds in the cpu Session and measures how far their outputs drift. */
import { attrShape } from '../../src/ir';
import type { Graph } from '../../src/ir';
import { Session } from '../../src/runtime';
import type { FetchedTensor } from '../../src/runtime';
import { rng, uniform } from '../helpers/graph-builders';

export type FeedMap = Record<string, { data: Float32Array; shape: number[] }>;

/** Random feeds for every Placeholder, unknown dims (-1) taken as 1. */
export function randomFeeds(graph: Graph, seed = 42, lo = -1, hi = 1): FeedMap {
  const random = rng(seed);
  const feeds: FeedMap = {};
  for (const n of graph.nodes()) {
    if (n.op !== 'Placeholder') continue;
    const shape = (attrShape(n, 'shape')?.dims ?? [1]).map((d) => (d < 0 ? 1 : d));
    feeds[n.name] = { data: uniform(random, shape.reduce((a, b) => a * b, 1), lo, hi), shape };
  }
  return feeds;
}

export async function runGraph(graph: Graph, fetches: string[], feeds: FeedMap): Promise<FetchedTensor[]> {
  const s = await Session.create(graph, { backend: 'cpu' });
  try {
    return await s.run(fetches, feeds);
  } finally {
    s.dispose();
  }
}

/** max |a − b| / max |a| over every fetched tensor: the "relative" error the tests bound. */
export function relativeError(expected: FetchedTensor[], actual: FetchedTensor[]): number {
  let worst = 0;
  expected.forEach((e, k) => {
    const a = actual[k];
    expect(a.shape).toEqual(e.shape);
    const ed = e.data as Float32Array;
    const ad = a.data as Float32Array;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < ed.length; i++) {
      diff = Math.max(diff, Math.abs(ed[i] - ad[i]));
      scale = Math.max(scale, Math.abs(ed[i]));
    }
    worst = Math.max(worst, diff / Math.max(scale, 1e-12));
  });
  return worst;
}

/** Runs `reference` and `candidate` on the same random feeds; returns the relative error. */
export async function compareGraphs(reference: Graph, candidate: Graph, fetches: string[], seed = 42): Promise<number> {
  const feeds = randomFeeds(reference, seed);
  const expected = await runGraph(reference, fetches, feeds);
  const actual = await runGraph(candidate, fetches, feeds);
  return relativeError(expected, actual);
}
