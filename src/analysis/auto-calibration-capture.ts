/**
 * The calibration batches of auto calibration, captured on their way in: a pass-through
 * AmctFeedCapture node on each Placeholder of the calibration graph handed to the user's
 * evaluator.calibration. Whatever loop and Session the user runs, the sensitivity ranking
 * then sees the same batches the record was calibrated on (AMCT dumps the same data).
 */
import { attr } from '../ir';
import type { Graph } from '../ir';
import { isRequiredInput } from '../ir/placeholders';
import { CAPTURE_FEED_ATTR, CAPTURE_ID_ATTR, FEED_CAPTURE_OP, FeedCapture } from '../runtime/kernels/feed-capture';

/** Puts a capture node behind every read Placeholder of `graph`; keeps the first `batchNum` batches. */
export function captureFeeds(graph: Graph, batchNum: number): FeedCapture {
  const capture = new FeedCapture(batchNum);
  for (const node of graph.nodes()) {
    if (!isRequiredInput(node) || graph.consumersOf(node.name).length === 0) continue;
    graph.insertOnEdge(node.name, {
      name: graph.uniqueName(`${node.name}/amct_feed_capture`),
      op: FEED_CAPTURE_OP,
      attr: { [CAPTURE_ID_ATTR]: attr.int(capture.id), [CAPTURE_FEED_ATTR]: attr.str(node.name) },
    });
  }
  return capture;
}

export type { FeedCapture };
