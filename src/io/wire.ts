/**
 * Protobuf wire format: a bounds-checked reader and a writer that emits TensorFlow's
 * deterministic serialization. Hand-written rather than protobufjs-generated because
 * the codec must (a) keep fields it does not model as raw bytes, (b) never allocate
 * from an untrusted length prefix, and (c) move tensor bytes without per-value work.
 */
import * as os from 'os';

/** Low-level decode failure; the GraphDef boundary turns it into a FileFormatError. */
export class CodecError extends Error {
  constructor(
    message: string,
    readonly code: 'PROTOBUF_MALFORMED' | 'UNSUPPORTED_DTYPE' | 'INVALID_GRAPH' = 'PROTOBUF_MALFORMED',
  ) {
    super(message);
  }
}

// Tensor bytes are copied as-is between the file and typed arrays (TF writes little-endian).
if (os.endianness() !== 'LE') throw new Error('amct-ts io: big-endian hosts are not supported');

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class ProtoReader {
  pos: number;
  /** Low and high 32 bits of the last varint read. */
  private lo = 0;
  private hi = 0;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint into lo/hi; at most 10 bytes, never past `end`. */
  private parts(): void {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) throw new CodecError('truncated varint');
      const byte = b[p++];
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) return this.done(p, lo, 0);
    }
    if (p >= end) throw new CodecError('truncated varint');
    let byte = b[p++];
    lo |= (byte & 0x0f) << 28;
    hi = (byte & 0x7f) >> 4;
    if (byte < 0x80) return this.done(p, lo, hi);
    for (let shift = 3; shift < 32; shift += 7) {
      if (p >= end) throw new CodecError('truncated varint');
      byte = b[p++];
      hi |= (byte & 0x7f) << shift;
      if (byte < 0x80) return this.done(p, lo, hi);
    }
    throw new CodecError('varint longer than 10 bytes');
  }

  private done(p: number, lo: number, hi: number): void {
    this.pos = p;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  uint32(): number {
    const b = this.buf[this.pos];
    if (b < 0x80 && this.pos < this.end) {
      this.pos++;
      return b;
    }
    this.parts();
    return this.lo;
  }

  int32(): number {
    return this.uint32() | 0;
  }

  bool(): boolean {
    this.parts();
    return (this.lo | this.hi) !== 0;
  }

  /** int64 as a number while exact (|v| ≤ 2^53), else a bigint. */
  int64(): number | bigint {
    this.parts();
    const { lo, hi } = this;
    if (hi < 0x200000) return hi * TWO_32 + lo;
    if (hi >= 0xffe00000 && !(hi === 0xffe00000 && lo === 0)) return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** uint64 as a number while exact (v ≤ 2^53), else a bigint. */
  uint64(): number | bigint {
    this.parts();
    if (this.hi < 0x200000) return this.hi * TWO_32 + this.lo;
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** A length prefix, checked against the bytes left so nothing huge is ever allocated. */
  length(): number {
    this.parts();
    const left = this.end - this.pos;
    if (this.hi !== 0 || this.lo > left) {
      throw new CodecError(`length prefix ${this.hi !== 0 ? 'over 4 GiB' : this.lo} exceeds the ${left} bytes left (truncated or corrupt file)`);
    }
    return this.lo;
  }

  /** Tag as field number and wire type. Field 0 is never valid. */
  tag(): [field: number, wire: number] {
    const t = this.uint32();
    const field = t >>> 3;
    if (field === 0) throw new CodecError(`invalid field number 0 at byte ${this.pos - 1}`);
    return [field, t & 7];
  }

  /** A length-delimited payload, as a view into the input (no copy). */
  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  float(): number {
    this.need(4);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** A reader over the next length-delimited payload. */
  sub(): ProtoReader {
    const n = this.length();
    const r = new ProtoReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.parts();
        return;
      case WIRE_FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_LEN: {
        const n = this.length(); // before reading pos: length() advances it
        this.pos += n;
        return;
      }
      case WIRE_FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new CodecError(`unsupported wire type ${wire} (groups or corrupt data)`);
    }
  }

  /** Skips a field and returns its bytes including the tag (for opaque storage). */
  rawField(tagStart: number, wire: number): Uint8Array {
    this.skip(wire);
    return this.buf.subarray(tagStart, this.pos);
  }

  /** Payload bytes of a repeated scalar field, packed (LEN) or one unpacked element. */
  scalarSegment(wire: number, elementWire: number): Uint8Array {
    if (wire === WIRE_LEN) return this.bytes();
    if (wire !== elementWire) throw new CodecError(`wire type ${wire} where ${elementWire} was expected`);
    const start = this.pos;
    this.skip(wire);
    return this.buf.subarray(start, this.pos);
  }

  private need(n: number): void {
    if (this.end - this.pos < n) throw new CodecError('truncated fixed-width value');
  }
}

export function expectWire(field: number, wire: number, expected: number): void {
  if (wire !== expected) throw new CodecError(`field ${field} has wire type ${wire}, expected ${expected}`);
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
