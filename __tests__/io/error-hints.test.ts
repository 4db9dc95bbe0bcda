/**
 * Every INVALID_ARGUMENT thrown by the library says how to fix it: each construction of
 * an error with that code in src/ passes a hint. (A fuzz campaign found 338 without one.)
 */
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.join(__dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** The text of the call starting at `start` (at "new X("), up to its closing parenthesis. */
function callAt(text: string, start: number): string {
  let depth = 0;
  for (let i = text.indexOf('(', start); i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(start, i + 1);
  }
  return text.slice(start);
}

test('every INVALID_ARGUMENT error built in src/ has a hint', () => {
  const missing: string[] = [];
  let sites = 0;
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new \w+\(\s*'INVALID_ARGUMENT'/g)) {
      sites++;
      if (!/\bhint\b/.test(callAt(text, m.index!))) missing.push(`${path.relative(SRC, file)}:${text.slice(0, m.index).split('\n').length}`);
    }
  }
  expect(sites).toBeGreaterThan(20);
  expect(missing).toEqual([]);
});
