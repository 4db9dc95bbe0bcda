/**
 * Tokens of protobuf text format read straight from the file's bytes, for the fast path
 * (text-proto-fast.ts): white space and comments, field names, and the value spellings
 * our writers use. Each reader either takes a whole token exactly as protobufjs's
 * tokenizer would (same extent, same value) or takes nothing and says so, leaving the
 * text to protobufjs. Indices and char codes only: no regular expressions, no slices
 * except for the strings it returns, so a 48,000-line record costs one pass.
 */
import { exactDecimal, hasExactPower } from './decimal';

const LF = 10;
const HASH = 35; // #
const QUOTE = 34; // "
const BACKSLASH = 92;
const MINUS = 45;
const DOT = 46;
const CLOSE = 125; // }
const ZERO = 48;

const isDigit = (c: number) => c >= ZERO && c <= 57;
const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95; // A-Z a-z _
const isIdentChar = (c: number) => isIdentStart(c) || isDigit(c);
/** White space protobufjs skips between tokens, line feed apart: space \t \v \f \r. */
const isBlank = (c: number) => c === 32 || (c >= 9 && c <= 13 && c !== LF);

/** byteAt() past the last byte. A number, so every comparison stays a small-integer one. */
const END = -1;

/**
 * The byte at `i`, END past the last one. Reads that may run past the end go through
 * here: a typed array read out of bounds gives undefined, which makes V8 compile the
 * comparisons for any value instead of small integers (the parse took twice as long).
 */
const byteAt = (b: Buffer, i: number): number => (i < b.length ? b[i] : END);

/**
 * Where a value token may end for the fast path: white space, a comment, `}` or the end.
 * protobufjs also ends numbers before `,` `;` `-` `"` ... and then parses or refuses what
 * follows; the fast path leaves those to it.
 */
const endsValue = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === HASH || c === CLOSE || c === END;

export class TextScanner {
  pos = 0;
  /** 1-based line of `pos`. */
  line = 1;
  /**
   * The value readFloat or readInt read. A field, not a return value: a double returned
   * from a call is boxed on the heap, one allocation per number (24,000 in a record).
   * Starts as a double (NaN), not 0: a field first given a small integer is compiled for
   * small integers, and the first float would send every user of the class back to the
   * interpreter.
   */
  number = NaN;

  constructor(private readonly bytes: Buffer) {
    // A UTF-8 byte order mark (Notepad writes one) is not part of the text.
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) this.pos = 3;
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** Skips white space, line breaks and `#` comments, counting lines. */
  skipSpace(): void {
    const b = this.bytes;
    let i = this.pos;
    for (; i < b.length; i++) {
      const c = b[i];
      if (c === LF) this.line++;
      else if (c === HASH) {
        while (i + 1 < b.length && b[i + 1] !== LF) i++;
      } else if (!isBlank(c)) break;
    }
    this.pos = i;
  }

  /** Skips the byte at `pos` when it is `c`; whether it was. */
  skip(c: number): boolean {
    if (byteAt(this.bytes, this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  /**
   * The field whose name `[A-Za-z_][A-Za-z0-9_]*` is at `pos`, or undefined; `pos` moves
   * past the name only when found. `likely` is tried first, without scanning the name:
   * repeated fields come in runs, so it is usually the previous line's field.
   */
  readName<F extends { nameBytes: Uint8Array }>(fields: readonly F[], likely?: F): F | undefined {
    const b = this.bytes;
    const start = this.pos;
    if (likely && this.startsWithName(start, likely.nameBytes)) {
      this.pos = start + likely.nameBytes.length;
      return likely;
    }
    if (!isIdentStart(byteAt(b, start))) return undefined;
    let end = start + 1;
    while (isIdentChar(byteAt(b, end))) end++;
    for (const field of fields) {
      if (field.nameBytes.length === end - start && this.startsWithName(start, field.nameBytes)) {
        this.pos = end;
        return field;
      }
    }
    return undefined;
  }

  /** Whether the bytes at `start` are `name` and the name ends there. */
  private startsWithName(start: number, name: Uint8Array): boolean {
    const b = this.bytes;
    if (start + name.length > b.length) return false;
    for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
    return !isIdentChar(byteAt(b, start + name.length));
  }

  /**
   * A double-quoted string of printable ASCII without escapes, or undefined. Escapes,
   * other bytes (UTF-8, control characters) and single quotes are protobufjs's to decode.
   */
  readString(): string | undefined {
    const b = this.bytes;
    if (byteAt(b, this.pos) !== QUOTE) return undefined;
    const start = this.pos + 1;
    let i = start;
    for (;;) {
      const c = byteAt(b, i);
      if (c === QUOTE) break;
      if (!(c >= 32 && c <= 126) || c === BACKSLASH) return undefined; // also at the end
      i++;
    }
    this.pos = i + 1;
    return b.toString('latin1', start, i);
  }

  /** `true` or `false`, or undefined (protobufjs's `t`, `True`, `1` ... are left to it). */
  readBool(): boolean | undefined {
    return this.readWord('true') ? true : this.readWord('false') ? false : undefined;
  }

  /** Skips `word` when it is at `pos` as a whole token; whether it was. */
  private readWord(word: string): boolean {
    const b = this.bytes;
    const end = this.pos + word.length;
    for (let k = 0; k < word.length; k++) if (byteAt(b, this.pos + k) !== word.charCodeAt(k)) return false;
    if (!endsValue(byteAt(b, end))) return false;
    this.pos = end;
    return true;
  }

  /**
   * Reads a float into `number` as protobufjs reads it (sign × Number(token)); false when
   * the fast path does not take the token. Taken: `-`?, then `0` or [1-9][0-9]*, or a
   * fraction `.`[0-9]* after them, or `.`[0-9]+ alone; then an exponent [eE][+-]?[0-9]+.
   * Left to protobufjs: a leading zero before digits (octal to it), hex, a space after
   * `-`, the `f` suffix, inf and nan.
   */
  readFloat(): boolean {
    const b = this.bytes;
    let i = this.pos;
    const negative = byteAt(b, i) === MINUS;
    if (negative) i++;
    const start = i;
    // All the digits (integer part and fraction) as one integer: exact as long as it stays
    // below 2^53, and since appending a digit never makes it smaller, a final value below
    // 2^53 means every step was exact.
    let digits = 0;
    let c = byteAt(b, i);
    if (c === ZERO) {
      c = byteAt(b, ++i);
      if (isDigit(c)) return false;
    } else {
      while (isDigit(c)) {
        digits = digits * 10 + (c - ZERO);
        c = byteAt(b, ++i);
      }
    }
    let exp10 = 0;
    if (c === DOT) {
      const fraction = ++i;
      c = byteAt(b, i);
      while (isDigit(c)) {
        digits = digits * 10 + (c - ZERO);
        c = byteAt(b, ++i);
      }
      exp10 = fraction - i;
      if (i - start === 1) return false; // `.` alone
    } else if (i === start) return false;
    if (c === 101 || c === 69 /* e E */) {
      c = byteAt(b, ++i);
      const expNegative = c === MINUS;
      if (expNegative || c === 43 /* + */) c = byteAt(b, ++i);
      if (!isDigit(c)) return false;
      let exp = 0;
      while (isDigit(c)) {
        exp = Math.min(exp * 10 + (c - ZERO), 1e6); // capped: that far out only Number() decides
        c = byteAt(b, ++i);
      }
      exp10 += expNegative ? -exp : exp;
    }
    if (!endsValue(c)) return false;
    this.pos = i;
    const value = digits <= Number.MAX_SAFE_INTEGER && hasExactPower(exp10) ? exactDecimal(digits, exp10) : Number(b.toString('latin1', start, i));
    this.number = negative ? -value : value;
    return true;
  }

  /**
   * Reads a decimal integer in [min, max] into `number` as protobufjs reads it; false when
   * the fast path does not take the token. Taken: `-`? then `0` or [1-9][0-9]*; `-0`
   * reads 0, as protobufjs's BigInt conversion gives. Left to protobufjs: octal and hex,
   * values out of range, `-` on an unsigned field (its errors).
   */
  readInt(min: number, max: number): boolean {
    const b = this.bytes;
    let i = this.pos;
    const negative = byteAt(b, i) === MINUS;
    if (negative) {
      if (min >= 0) return false;
      i++;
    }
    const start = i;
    let value = 0;
    if (byteAt(b, i) === ZERO) i++;
    else while (isDigit(byteAt(b, i)) && i - start < 11) value = value * 10 + (byteAt(b, i++) - ZERO);
    if (i === start || !endsValue(byteAt(b, i))) return false; // also octal (0 then a digit) and 12+ digits
    const signed = negative ? 0 - value : value; // 0 - 0 is +0
    if (signed < min || signed > max) return false;
    this.pos = i;
    this.number = signed;
    return true;
  }
}
