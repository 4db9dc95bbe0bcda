/**
 * Protobuf writer. Small values go into a shared arena; large byte arrays (tensor
 * contents) are kept by reference and copied once, in finish(). Nested messages are
 * written between fork() and ldelim(), which prefixes the child's length, so no
 * message is encoded twice and tensor bytes are never copied per nesting level.
 */
import { encodeUtf8, WIRE_FIXED32, WIRE_LEN, WIRE_VARINT } from './wire';

const ARENA = 64 * 1024;
/** Byte arrays at least this long are referenced instead of copied into the arena. */
const BY_REFERENCE = 512;
const TWO_32 = 4294967296;

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;
  private buf = new Uint8Array(ARENA);
  private view = new DataView(this.buf.buffer);
  private start = 0;
  private pos = 0;
  private readonly stack: { chunks: Uint8Array[]; length: number }[] = [];

  tag(field: number, wire: number): this {
    return this.uint32(field * 8 + wire);
  }

  uint32(v: number): this {
    this.ensure(5);
    const b = this.buf;
    while (v > 127) {
      b[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[this.pos++] = v;
    return this;
  }

  /** int32, enum: negatives are sign-extended to 10 bytes, as protobuf requires. */
  int32(v: number): this {
    return v >= 0 ? this.uint32(v) : this.parts(v >>> 0, 0xffffffff);
  }

  /** int64 or uint64 (number or bigint; bigint is taken modulo 2^64). */
  int64(v: number | bigint): this {
    if (typeof v === 'number') {
      if (v >= 0 && v < TWO_32) return this.uint32(v);
      const hi = Math.floor(v / TWO_32);
      return this.parts(v - hi * TWO_32, hi >>> 0);
    }
    const u = BigInt.asUintN(64, v);
    return this.parts(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  bool(v: boolean): this {
    return this.uint32(v ? 1 : 0);
  }

  float(v: number): this {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  /** Length-delimited bytes field. */
  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN).uint32(data.length);
    return this.raw(data);
  }

  stringField(field: number, s: string): this {
    return this.bytesField(field, encodeUtf8(s));
  }

  /** Proto3 scalars are omitted when default: these helpers write only non-defaults. */
  optString(field: number, s: string | undefined): this {
    return s ? this.stringField(field, s) : this;
  }

  optInt32(field: number, v: number | undefined): this {
    return v ? this.tag(field, WIRE_VARINT).int32(v) : this;
  }

  optInt64(field: number, v: number | bigint | undefined): this {
    return v ? this.tag(field, WIRE_VARINT).int64(v) : this;
  }

  optBool(field: number, v: boolean | undefined): this {
    return v ? this.tag(field, WIRE_VARINT).uint32(1) : this;
  }

  floatField(field: number, v: number): this {
    return this.tag(field, WIRE_FIXED32).float(v);
  }

  /** Appends bytes as-is (already encoded payload or opaque fields). */
  raw(data: Uint8Array): this {
    if (data.length >= BY_REFERENCE) {
      this.flush();
      this.chunks.push(data);
      this.length += data.length;
    } else {
      this.ensure(data.length);
      this.buf.set(data, this.pos);
      this.pos += data.length;
    }
    return this;
  }

  /** Packed repeated varints: values are encoded into the arena after their byte size. */
  packedVarints(field: number, count: number, get: (i: number) => number | bigint, size: number): this {
    this.tag(field, WIRE_LEN).uint32(size);
    for (let i = 0; i < count; i++) this.int64(get(i));
    return this;
  }

  /** Starts a nested message; end it with ldelim(field). */
  fork(): this {
    this.flush();
    this.stack.push({ chunks: this.chunks, length: this.length });
    this.chunks = [];
    this.length = 0;
    return this;
  }

  /** Ends a nested message, writing it as field `field` (tag, length, bytes). */
  ldelim(field: number): this {
    this.flush();
    const child = this.chunks;
    const childLength = this.length;
    const parent = this.stack.pop()!;
    this.chunks = parent.chunks;
    this.length = parent.length;
    this.tag(field, WIRE_LEN).uint32(childLength);
    this.flush();
    for (const c of child) this.chunks.push(c);
    this.length += childLength;
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  private parts(lo: number, hi: number): this {
    this.ensure(10);
    const b = this.buf;
    while (hi) {
      b[this.pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      b[this.pos++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    b[this.pos++] = lo;
    return this;
  }

  private flush(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.length += this.pos - this.start;
      this.start = this.pos;
    }
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    this.buf = new Uint8Array(Math.max(ARENA, n));
    this.view = new DataView(this.buf.buffer);
    this.start = this.pos = 0;
  }
}

/** Bytes a value takes as a varint (int64 semantics: negatives take 10). */
export function varintSize(v: number | bigint): number {
  if (typeof v === 'bigint') {
    let u = BigInt.asUintN(64, v);
    let n = 1;
    while (u > 127n) {
      u >>= 7n;
      n++;
    }
    return n;
  }
  if (v < 0) return 10;
  if (v < 128) return 1;
  if (v < 16384) return 2;
  if (v < 2097152) return 3;
  if (v < 268435456) return 4;
  let n = 5;
  for (let x = Math.floor(v / 34359738368); x > 0; x = Math.floor(x / 128)) n++;
  return n;
}
