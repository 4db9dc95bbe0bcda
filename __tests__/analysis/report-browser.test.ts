/**
 * The HTML report in a real browser: Debian's chromium, headless. It must render the
 * chart (the isolated and cumulative bar colours and the red band of the worst layers
 * appear in the screenshot), and the inline script must sort the table on a click.
 * Chromium is a test requirement (.ci/run installs it): without it this test FAILS,
 * saying how to install it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import { analyzeAccuracy } from '../../src/analysis';
import type { AccuracyReport } from '../../src/analysis';
import { feedsOf, twoBrokenLayersNet, writeModelAndRecord } from './analysis-fixtures';

const CANDIDATES = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((c): c is string => !!c);

function findChromium(): string {
  for (const c of CANDIDATES) {
    try {
      execFileSync(c, ['--version'], { stdio: 'pipe', timeout: 30_000 });
      return c;
    } catch {
      // try the next name
    }
  }
  throw new Error(`no chromium found (tried ${CANDIDATES.join(', ')}): install it with "apt-get update && apt-get install -y chromium", or set CHROMIUM to the browser binary`);
}

function chromium(binary: string, args: string[]): string {
  const common = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-extensions'];
  return execFileSync(binary, [...common, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000, maxBuffer: 64 << 20 }).toString('utf8');
}

/** Pixels of `png` within ±12 per channel of `#rrggbb`. */
function countColour(png: PNG, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (Math.abs(png.data[i] - r) <= 12 && Math.abs(png.data[i + 1] - g) <= 12 && Math.abs(png.data[i + 2] - b) <= 12) n++;
  }
  return n;
}

describe('HTML report in headless chromium', () => {
  let binary: string;
  let dir: string;
  let html: string;
  let report: AccuracyReport;

  beforeAll(async () => {
    binary = findChromium();
    const b = twoBrokenLayersNet();
    const files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1, 2, 3));
    dir = files.dir;
    html = path.join(dir, 'report.html');
    report = await analyzeAccuracy(files.model, ['out'], files.record, feedsOf(b.graph, 4), { backend: 'cpu', reportFile: html });
  }, 120_000);

  test('renders the chart: both bar colours and the worst-layer band, on a non-blank page', () => {
    const shot = path.join(dir, 'report.png');
    chromium(binary, [`--screenshot=${shot}`, '--window-size=1200,900', `file://${html}`]);
    const png = PNG.sync.read(fs.readFileSync(shot));
    expect([png.width, png.height]).toEqual([1200, 900]);
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
    expect(colours.size).toBeGreaterThan(50); // text anti-aliasing, bars, bands: far from a blank page
    expect(countColour(png, '#2f6fb3')).toBeGreaterThan(500); // isolated bars
    expect(countColour(png, '#e08a1e')).toBeGreaterThan(500); // cumulative bars
    expect(countColour(png, '#fbe0e0')).toBeGreaterThan(500); // worst-layer band
  }, 120_000);

  test('the inline script sorts the layer table on a header click', () => {
    // A copy that clicks "Isolated SQNR (dB)" once the page's own script has run.
    const clicked = path.join(dir, 'clicked.html');
    const click = `<script>document.querySelectorAll('#layers th')[4].click();</script></body>`;
    fs.writeFileSync(clicked, fs.readFileSync(html, 'utf8').replace('</body>', click));
    const dom = chromium(binary, ['--dump-dom', `file://${clicked}`]);
    const tbody = dom.slice(dom.indexOf('id="layers"'));
    const order = [...tbody.matchAll(/<td class="name" data-sort="([^"]+)"/g)].map((m) => m[1]);
    const ascendingSqnr = [...report.layers].sort((a, b) => a.isolated.sqnrDb - b.isolated.sqnrDb).map((l) => l.layer);
    expect(order).toEqual(ascendingSqnr);
  }, 120_000);
});
