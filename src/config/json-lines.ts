/**
 * A small JSON parser that remembers where things are. JSON.parse keeps the last of
 * duplicate keys without a word and reports syntax errors by character offset; this one
 * rejects duplicates and gives every key and array element a line, so config errors can
 * say "config.json:12". Values are what JSON.parse would produce.
 */

export interface JsonProblem {
  message: string;
  line: number;
  /** JSON pointer of the value concerned (duplicate keys). */
  pointer?: string;
}

export class JsonLinesError extends Error {
  constructor(readonly problem: JsonProblem) {
    super(problem.message);
  }
}

export interface ParsedJson {
  value: unknown;
  /** JSON pointer (RFC 6901, as ajv's instancePath) → line of its key or element. */
  lines: Map<string, number>;
}

export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Deepest nesting accepted. A quantization config nests 4 levels; the parser recurses per
 * level, so a file nested 10,000 deep would overflow the stack. Refused with its line.
 */
export const MAX_JSON_DEPTH = 64;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Parser {
  private i = 0;
  private line = 1;
  private depth = 0;
  readonly lines = new Map<string, number>();

  constructor(private readonly text: string) {}

  fail(message: string, pointer?: string): never {
    throw new JsonLinesError({ message, line: this.line, pointer });
  }

  private space(): void {
    for (; this.i < this.text.length; this.i++) {
      const ch = this.text[this.i];
      if (ch === '\n') this.line++;
      else if (ch !== ' ' && ch !== '\t' && ch !== '\r') return;
    }
  }

  private unexpected(): never {
    if (this.i >= this.text.length) this.fail('unexpected end of the JSON text');
    this.fail(`unexpected character '${this.text[this.i]}'`);
  }

  parseDocument(): unknown {
    if (this.text.charCodeAt(0) === 0xfeff) this.i = 1;
    const value = this.value('');
    this.space();
    if (this.i < this.text.length) this.fail(`unexpected '${this.text[this.i]}' after the end of the JSON value`);
    return value;
  }

  private value(pointer: string): unknown {
    this.space();
    const ch = this.text[this.i];
    if (ch === '{' || ch === '[') {
      if (++this.depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels of objects or lists`);
      const v = ch === '{' ? this.object(pointer) : this.array(pointer);
      this.depth--;
      return v;
    }
    if (ch === '"') return this.string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.text);
    if (!m) this.unexpected();
    this.i += m[0].length;
    return Number(m[0]);
  }

  private string(): string {
    const start = this.i++;
    while (this.i < this.text.length && this.text[this.i] !== '"') {
      if (this.text[this.i] === '\n') this.fail('unterminated string');
      this.i += this.text[this.i] === '\\' ? 2 : 1;
    }
    if (this.i >= this.text.length) this.fail('unterminated string');
    this.i++;
    try {
      return JSON.parse(this.text.slice(start, this.i)) as string;
    } catch {
      return this.fail('invalid string (bad escape or control character)');
    }
  }

  private object(pointer: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    this.i++;
    this.space();
    if (this.text[this.i] === '}') return this.i++, out;
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.fail(this.i < this.text.length ? 'expected a "quoted" key' : 'unexpected end of the JSON text');
      const line = this.line;
      const key = this.string();
      const child = `${pointer}/${pointerSegment(key)}`;
      if (seen.has(key)) this.fail(`duplicate key "${key}" (first at line ${seen.get(key)})`, child);
      seen.set(key, line);
      this.lines.set(child, line);
      this.space();
      if (this.text[this.i] !== ':') this.fail(`expected ':' after key "${key}"`);
      this.i++;
      // defineProperty keeps a "__proto__" key an ordinary property, as JSON.parse does
      Object.defineProperty(out, key, { value: this.value(child), enumerable: true, writable: true, configurable: true });
      this.space();
      if (this.text[this.i] === '}') return this.i++, out;
      if (this.text[this.i] !== ',') this.fail(`expected ',' or '}' after the value of "${key}"`);
      this.i++;
    }
  }

  private array(pointer: string): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.space();
    if (this.text[this.i] === ']') return this.i++, out;
    for (;;) {
      this.space();
      this.lines.set(`${pointer}/${out.length}`, this.line);
      out.push(this.value(`${pointer}/${out.length}`));
      this.space();
      if (this.text[this.i] === ']') return this.i++, out;
      if (this.text[this.i] !== ',') this.fail("expected ',' or ']' in a list");
      this.i++;
    }
  }
}

/** Throws JsonLinesError on a syntax error or a duplicate key. */
export function parseJsonWithLines(text: string): ParsedJson {
  const parser = new Parser(text);
  const value = parser.parseDocument();
  return { value, lines: parser.lines };
}
