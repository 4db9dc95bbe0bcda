/**
 * Byte positions of tags, lengths and varints in protobuf bytes, found by parsing every
 * length-delimited payload that parses as a message. Weight bytes (most of a model) are
 * left out: flipping them only changes values, which says nothing about robustness.
 */
import * as protobuf from 'protobufjs';

export function structurePositions(b: Uint8Array, start = 0, end = b.length, out: number[] = [], depth = 0): boolean {
  if (depth > 32) return false;
  const r = protobuf.Reader.create(b);
  r.pos = start;
  r.len = end;
  const local: number[] = [];
  const mark = (from: number) => {
    for (let p = from; p < r.pos; p++) local.push(p);
  };
  try {
    while (r.pos < r.len) {
      const at = r.pos;
      const tag = r.uint32();
      if (tag >>> 3 === 0) return false;
      if ((tag & 7) !== 2) {
        r.skipType(tag & 7);
        mark(at);
        continue;
      }
      const n = r.uint32();
      mark(at);
      const payload = r.pos;
      if (payload + n > r.len) return false;
      r.pos += n;
      if (n > 0) structurePositions(b, payload, payload + n, local, depth + 1);
    }
  } catch {
    return false;
  }
  for (const p of local) out.push(p);
  return true;
}

export function positionsOf(b: Uint8Array): number[] {
  const out: number[] = [];
  structurePositions(b, 0, b.length, out);
  return out;
}
