/**
 * AmctFeedCapture: a pass-through node put on a graph's Placeholder to keep copies of the
 * batches a caller feeds, without the caller's help. accuracyBasedAutoCalibration puts one
 * on each input of the calibration graph it hands to the user's evaluator, so the layer
 * sensitivity ranking runs on the very batches the user calibrated with (as AMCT does),
 * whatever loop, data and Session the evaluator uses.
 *
 * The node carries the id of a FeedCapture (module-level, since the user creates the
 * Session) and the feed's name. Bounded: each feed keeps its first `limit` batches only.
 */
import { attrInt, attrString } from '../../ir';
import type { Feeds, FeedData } from '../feeds';
import { registerKernel } from '../kernels';
import type { KernelContext } from '../kernels';
import type { tf } from '../tfjs';
import { shareTensor } from './calibration-read';

export const FEED_CAPTURE_OP = 'AmctFeedCapture';
/** Int attr: the FeedCapture the node reports to. */
export const CAPTURE_ID_ATTR = 'capture_id';
/** String attr: the tensor name the batch is fed as (the Placeholder's name). */
export const CAPTURE_FEED_ATTR = 'feed';

interface CapturedValue {
  data: FeedData;
  shape: number[];
  dtype: tf.DataType;
}

const captures = new Map<number, FeedCapture>();
let nextId = 1;

export class FeedCapture {
  readonly id = nextId++;
  private readonly byFeed = new Map<string, CapturedValue[]>();

  /** Keeps at most `limit` batches per feed (AMCT's batch_num). */
  constructor(readonly limit: number) {
    captures.set(this.id, this);
  }

  add(feed: string, x: tf.Tensor): void {
    const list = this.byFeed.get(feed) ?? [];
    this.byFeed.set(feed, list);
    if (list.length >= this.limit) return;
    // slice(): the cpu backend hands out its own buffer, which it may reuse.
    const data = (x.dataSync() as FeedData & { slice(): FeedData }).slice();
    list.push({ data, shape: [...x.shape], dtype: x.dtype });
  }

  /** Batch i feeds every input that was captured at least i + 1 times. */
  batches(): Feeds[] {
    const count = Math.max(0, ...[...this.byFeed.values()].map((l) => l.length));
    return Array.from({ length: count }, (_, i) => {
      const feeds: Feeds = {};
      for (const [name, list] of this.byFeed) if (list[i]) feeds[name] = list[i];
      return feeds;
    });
  }

  /** Feeds captured so far, by name: how many batches each saw. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.byFeed].map(([name, list]) => [name, list.length]));
  }

  /** Stops capturing and drops the batches (later runs of the graph only pass through). */
  close(): void {
    captures.delete(this.id);
    this.byFeed.clear();
  }
}

function captureKernel(ctx: KernelContext): tf.Tensor {
  const x = ctx.inputs[0];
  captures.get(attrInt(ctx.node, CAPTURE_ID_ATTR, 0))?.add(attrString(ctx.node, CAPTURE_FEED_ATTR, ctx.node.name), x);
  return shareTensor(x);
}

registerKernel(FEED_CAPTURE_OP, captureKernel);
