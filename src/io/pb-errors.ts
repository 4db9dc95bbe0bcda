/**
 * What protobufjs cannot tell: where in a GraphDef decoding failed, in words a user can
 * act on. protobufjs decodes the whole GraphDef in one call and throws a bare "index out
 * of range"; on that (rare) path the top-level fields are walked again with protobufjs's
 * own Reader to find the node that does not decode, and its name when it can be read.
 */
import * as protobuf from 'protobufjs';
import { decodeMessage } from './pb';

/** protobufjs's messages, reworded: the file is truncated or corrupt, said in terms of the data. */
export function describeDecodeError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (/^index out of range/.test(message)) return `a length prefix or value exceeds the bytes left (${message}): the data is truncated or corrupt`;
  if (message === 'invalid length encoding') return 'a length prefix exceeds 2 GiB: the data is corrupt';
  if (/utf-?8/i.test(message)) return 'a string field is not valid UTF-8';
  if (message === 'max depth exceeded') return 'messages are nested deeper than 100 levels';
  return message;
}

export interface FailedNode {
  index: number;
  name?: string;
}

const NODE_TAG = (1 << 3) | 2; // GraphDef.node: field 1, length-delimited

/** The first node of `bytes` (a GraphDef) that protobufjs cannot decode; undefined when the nodes are fine. */
export function findFailedNode(bytes: Uint8Array): FailedNode | undefined {
  const r = protobuf.Reader.create(bytes);
  let index = 0;
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag !== NODE_TAG) {
        r.skipType(tag & 7, 0, tag >>> 3);
        continue;
      }
      const at = r.pos;
      if (!nodeDecodes(r)) return { index, name: peekName(bytes, at) };
      index++;
    }
  } catch {
    return undefined; // the damage is outside the nodes
  }
  return undefined;
}

/** Reads one node's length and decodes it; false when either fails. Leaves `r` after the node. */
function nodeDecodes(r: protobuf.Reader): boolean {
  try {
    const n = r.uint32();
    const start = r.pos;
    if (start + n > r.len) return false;
    r.pos = start + n;
    decodeMessage('NodeDef', r.buf.subarray(start, start + n));
    return true;
  } catch {
    return false;
  }
}

/** Best effort: the name field at the start of a (possibly truncated) NodeDef whose length prefix is at `at`. */
function peekName(bytes: Uint8Array, at: number): string | undefined {
  try {
    const p = protobuf.Reader.create(bytes.subarray(at));
    p.uint32(); // the node's length
    return p.uint32() === 0x0a ? p.string() || undefined : undefined;
  } catch {
    return undefined;
  }
}
