/**
 * The report's bar chart as inline SVG: isolated and cumulative SQNR of every layer in
 * graph order, the worst layers (by isolated error) on a red band with their number.
 * Hovering a bar shows the layer's name and values (<title>). No script, no font files.
 */
import type { LayerAccuracy } from './analyze';
import { escapeHtml, formatDb } from './report-format';

const COLORS = { isolated: '#2f6fb3', cumulative: '#e08a1e', band: '#fbe0e0', worst: '#c62828', grid: '#e3e3e3', axis: '#555' };
const PLOT_HEIGHT = 260;
const LEFT = 56;
const TOP = 28;
const BOTTOM = 44;

/** Top of the dB axis: the largest finite SQNR rounded up to 10 dB, at least 40, at most 120. */
function axisMax(layers: readonly LayerAccuracy[]): number {
  const finite = layers.flatMap((l) => [l.isolated.sqnrDb, l.cumulative.sqnrDb]).filter((v) => Number.isFinite(v));
  const max = finite.length > 0 ? Math.max(...finite) : 40;
  return Math.min(120, Math.max(40, Math.ceil(max / 10) * 10));
}

interface Scale {
  top: number;
  y(db: number): number;
}

function bar(x: number, width: number, db: number, scale: Scale, color: string, tip: string): string {
  // Below 0 dB the error is larger than the signal: draw nothing above the axis, the table says how bad.
  const clipped = Number.isNaN(db) ? 0 : Math.max(0, Math.min(scale.top, db));
  const y = scale.y(clipped);
  const h = scale.y(0) - y;
  const over = db > scale.top ? ` stroke="${color}" stroke-dasharray="2,2" fill-opacity="0.55"` : '';
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${width.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${color}"${over}><title>${tip}</title></rect>`;
}

function yAxis(width: number, scale: Scale): string {
  const step = scale.top > 80 ? 20 : 10;
  const parts: string[] = [];
  for (let db = 0; db <= scale.top; db += step) {
    const y = scale.y(db).toFixed(1);
    parts.push(`<line x1="${LEFT}" y1="${y}" x2="${width - 8}" y2="${y}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y}" dy="4" text-anchor="end">${db}</text>`);
  }
  parts.push(`<text transform="translate(14 ${TOP + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle">SQNR (dB)</text>`);
  return parts.join('');
}

function legend(width: number): string {
  const item = (x: number, color: string, label: string) => `<rect x="${x}" y="8" width="12" height="12" fill="${color}"/><text x="${x + 16}" y="18">${label}</text>`;
  return item(LEFT, COLORS.isolated, 'isolated (this layer alone)') + item(LEFT + 200, COLORS.cumulative, 'cumulative (whole INT8 model)') + item(Math.min(LEFT + 420, width - 140), COLORS.band, 'worst layers');
}

/** `worst`: names of the layers to highlight. Layers are numbered from 1 in graph order, as in the table. */
export function renderSqnrChart(layers: readonly LayerAccuracy[], worst: ReadonlySet<string>): string {
  const slot = Math.max(6, Math.min(28, 1100 / Math.max(layers.length, 1)));
  const width = Math.max(720, LEFT + layers.length * slot + 16);
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const top = axisMax(layers);
  const scale: Scale = { top, y: (db) => TOP + PLOT_HEIGHT * (1 - db / top) };
  const labelEvery = Math.ceil(layers.length / 30);
  const parts: string[] = [legend(width), yAxis(width, scale)];
  layers.forEach((l, i) => {
    const x = LEFT + i * slot;
    const bad = worst.has(l.layer);
    const tip = (kind: string, db: number) => `#${i + 1} ${escapeHtml(l.layer)} (${escapeHtml(l.op)}): ${kind} SQNR ${formatDb(db)} dB`;
    if (bad) parts.push(`<rect x="${x.toFixed(1)}" y="${TOP}" width="${slot.toFixed(1)}" height="${PLOT_HEIGHT}" fill="${COLORS.band}"/>`);
    const w = slot * 0.4;
    parts.push(bar(x + slot * 0.1, w, l.isolated.sqnrDb, scale, COLORS.isolated, tip('isolated', l.isolated.sqnrDb)));
    parts.push(bar(x + slot * 0.5, w, l.cumulative.sqnrDb, scale, COLORS.cumulative, tip('cumulative', l.cumulative.sqnrDb)));
    const cx = (x + slot / 2).toFixed(1);
    if (bad) parts.push(`<text x="${cx}" y="${TOP + PLOT_HEIGHT + 30}" text-anchor="middle" fill="${COLORS.worst}" font-weight="bold">${i + 1}</text>`);
    else if (i % labelEvery === 0) parts.push(`<text x="${cx}" y="${TOP + PLOT_HEIGHT + 16}" text-anchor="middle" fill="${COLORS.axis}">${i + 1}</text>`);
  });
  parts.push(`<line x1="${LEFT}" y1="${scale.y(0)}" x2="${width - 8}" y2="${scale.y(0)}" stroke="${COLORS.axis}"/>`);
  parts.push(`<text x="${(LEFT + width) / 2}" y="${height - 2}" text-anchor="middle">layer # in graph order (worst in red)</text>`);
  return `<svg viewBox="0 0 ${width.toFixed(0)} ${height}" width="100%" role="img" aria-label="SQNR per layer" font-family="sans-serif" font-size="11">${parts.join('')}</svg>`;
}
