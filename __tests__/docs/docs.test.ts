/**
 * The documentation users read: docs/api.md has an entry (a "### `name`" heading) for every
 * export of the package root, values with an example; README.md and docs/*.md link only to
 * files and headings that exist in the repository (and so in the package, whose `files`
 * ship README.md and docs/), and never to anything outside it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const API_MD = path.join(ROOT, 'docs', 'api.md');

interface RootExport {
  name: string;
  /** A value (function, class, const, enum) rather than only a type. */
  isValue: boolean;
}

/** Every export of src/index.ts, as the compiler sees it (values and types, through `export *`). */
function rootExports(): RootExport[] {
  const entry = path.join(ROOT, 'src', 'index.ts');
  const program = ts.createProgram([entry], { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    return { name: s.name, isValue: (target.flags & ts.SymbolFlags.Value) !== 0 };
  });
}

interface Section {
  names: string[];
  body: string;
}

/** "### ..." sections of api.md with the backticked identifiers their heading names. */
function apiSections(text: string): Section[] {
  const parts = text.split(/^### /m).slice(1);
  return parts.map((part) => {
    const [heading, ...rest] = part.split('\n');
    const names = [...heading.matchAll(/`([A-Za-z_$][\w$]*)/g)].map((m) => m[1]);
    return { names, body: rest.join('\n').split(/^## /m)[0] };
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const m of withoutCode.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1].trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

const exportsOfRoot = rootExports();
const sections = apiSections(fs.readFileSync(API_MD, 'utf8'));

test('docs/api.md has an entry for every export of the package root', () => {
  const documented = new Set(sections.flatMap((s) => s.names));
  const missing = exportsOfRoot.map((e) => e.name).filter((n) => !documented.has(n)).sort();
  // The message names what to add, so whoever adds an export adds its entry.
  expect({ missingFromDocsApiMd: missing }).toEqual({ missingFromDocsApiMd: [] });
  expect(exportsOfRoot.length).toBeGreaterThan(90);
});

test('every entry of a function, class or constant has a TypeScript example', () => {
  const values = new Set(exportsOfRoot.filter((e) => e.isValue).map((e) => e.name));
  const withoutExample = sections.filter((s) => s.names.some((n) => values.has(n)) && !s.body.includes('```ts')).map((s) => s.names.join(', '));
  expect({ entriesWithoutExample: withoutExample }).toEqual({ entriesWithoutExample: [] });
});

test('docs/api.md documents no name the package root does not export', () => {
  const exported = new Set(exportsOfRoot.map((e) => e.name));
  const stale = sections.flatMap((s) => s.names).filter((n) => !exported.has(n));
  expect({ documentedButNotExported: stale }).toEqual({ documentedButNotExported: [] });
});

test('docs/api.md lists every error code with its meaning', () => {
  const errors = fs.readFileSync(path.join(ROOT, 'src', 'errors.ts'), 'utf8');
  const codes = [...errors.slice(errors.indexOf('export type ErrorCode'), errors.indexOf('export interface ErrorContext')).matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
  const api = fs.readFileSync(API_MD, 'utf8');
  const table = api.slice(api.indexOf('### `ErrorCode`'));
  expect(codes.filter((c) => !table.includes(`\`${c}\``))).toEqual([]);
  expect(codes.length).toBeGreaterThan(40);
});

describe('links in README.md and docs/*.md', () => {
  const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  test.each(docs)('%s links only to files and headings inside the repository', (doc) => {
    const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
    const problems: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1];
      if (/^https?:/.test(link)) continue;
      const [file, anchor] = link.split('#');
      const target = file === '' ? path.join(ROOT, doc) : path.resolve(path.dirname(path.join(ROOT, doc)), file);
      if (path.relative(ROOT, target).startsWith('..')) problems.push(`${link}: outside the repository`);
      else if (!fs.existsSync(target)) problems.push(`${link}: no such file`);
      else if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(fs.readFileSync(target, 'utf8')).has(anchor)) problems.push(`${link}: no such heading`);
    }
    if (/\.\.\/shared|SPEC\.md|ARCHITECTURE\.md/.test(text)) problems.push('mentions a file outside the repository (../shared, SPEC.md, ARCHITECTURE.md)');
    expect(problems).toEqual([]);
  });
});

// `git ls-files` needs the repository: run from an unpacked tarball (no .git), there is nothing to list.
const hasGit = fs.existsSync(path.join(ROOT, '.git'));

(hasGit ? test : test.skip)('no file in git holds a merge conflict marker (a resolved merge once committed bench/README.md with them)', () => {
  const files = execFileSync('git', ['ls-files', '--', '*.md', '*.ts', '*.js', '*.json', '*.yml', '.ci/*'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  expect(files.length).toBeGreaterThan(100);
  // Both ends of a conflict: a lone "=======" may be a Markdown heading underline. Files deleted but not staged are skipped.
  const conflicted = (text: string) => /^<{7} /m.test(text) && /^>{7} /m.test(text);
  const marked = files.filter((f) => fs.existsSync(path.join(ROOT, f)) && conflicted(fs.readFileSync(path.join(ROOT, f), 'utf8')));
  expect(marked).toEqual([]);
});
