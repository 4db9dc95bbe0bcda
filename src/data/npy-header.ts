/**
 * The .npy header is a Python dict literal. Rather than rewrite it into JSON with regexes
 * (which breaks on "(3,)" and quoted commas), a tiny tokenizer reads exactly the forms
 * numpy writes: strings, True/False, and tuples of integers.
 */
export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

type Value = string | boolean | number[] | { nested: true };

class Reader {
  pos = 0;
  constructor(private readonly text: string, private readonly fail: (what: string) => Error) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  expect(ch: string): void {
    if (this.peek() !== ch) throw this.fail(`header: expected '${ch}' at offset ${this.pos}`);
    this.pos++;
  }

  string(): string {
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') throw this.fail(`header: expected a string at offset ${this.pos}`);
    const end = this.text.indexOf(quote, this.pos + 1);
    if (end < 0) throw this.fail('header: unterminated string');
    const s = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return s;
  }

  tuple(): number[] {
    this.expect('(');
    const out: number[] = [];
    while (this.peek() !== ')') {
      const m = /^\d+/.exec(this.text.slice(this.pos));
      if (!m) throw this.fail(`header: shape must be a tuple of non-negative integers`);
      out.push(Number(m[0]));
      this.pos += m[0].length;
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ')') throw this.fail(`header: expected ',' or ')' in shape`);
    }
    this.pos++;
    return out;
  }

  value(): Value {
    const c = this.peek();
    if (c === "'" || c === '"') return this.string();
    if (c === '(') return this.tuple();
    // A list descr is a structured dtype; report it as such instead of a parse error.
    if (c === '[' || c === '{') return { nested: true };
    for (const [word, v] of [['True', true], ['False', false]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    throw this.fail(`header: unexpected value at offset ${this.pos}`);
  }
}

export function parseNpyHeader(text: string, fail: (what: string) => Error): NpyHeader {
  const r = new Reader(text, fail);
  r.expect('{');
  const dict: Record<string, Value> = {};
  while (r.peek() !== '}') {
    const key = r.string();
    r.expect(':');
    const v = r.value();
    if (typeof v === 'object' && !Array.isArray(v)) {
      return { descr: `structured (${key})`, fortranOrder: false, shape: [] };
    }
    dict[key] = v;
    if (r.peek() === ',') r.pos++;
    else if (r.peek() !== '}') throw fail(`header: expected ',' or '}' after '${key}'`);
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== 'string') throw fail("header: missing 'descr'");
  if (typeof fortran !== 'boolean') throw fail("header: missing 'fortran_order'");
  if (!Array.isArray(shape)) throw fail("header: missing 'shape'");
  return { descr, fortranOrder: fortran, shape };
}
