/**
 * analyzeAccuracy's report as ONE self-contained HTML page: no network, no external
 * script, style or font. The model and record it was made from, the output metrics, an
 * inline-SVG chart of isolated and cumulative SQNR per layer (report-chart.ts) and a
 * table of every layer that sorts by any column on a click (a few lines of inline JS).
 * Every name from the model is escaped.
 */
import type { AccuracyReport, LayerAccuracy } from './analyze';
import type { ErrorMetrics } from './metrics';
import { renderSqnrChart } from './report-chart';
import { escapeHtml, formatCosine, formatDb, formatRelL2 } from './report-format';

/** How many of the worst layers the chart and the table highlight. */
export const HIGHLIGHTED_LAYERS = 5;

const STYLE = `
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:0;font-size:13px}
dl.meta dt{color:#666}dl.meta dd{margin:0;font-family:monospace;word-break:break-all}
table{border-collapse:collapse;font-size:12px}
th,td{border-bottom:1px solid #e5e5e5;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#f3f5f8;position:sticky;top:0;cursor:pointer;user-select:none}
th.asc::after{content:" \\25B2"}th.desc::after{content:" \\25BC"}
td.name,th.name{text-align:left;font-family:monospace;white-space:normal;overflow-wrap:anywhere;min-width:200px;max-width:480px}
td.op,th.op{text-align:left}
tr.worst td{background:#fdecec}td.bad{color:#b71c1c;font-weight:bold}td.warn{color:#a15c00}
.note{color:#666;font-size:12px;max-width:900px}
`;

const SORT_SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var asc = !th.classList.contains('asc');
      table.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
      th.classList.add(asc ? 'asc' : 'desc');
      var body = table.tBodies[0];
      var key = function (row) {
        var v = row.cells[col].getAttribute('data-sort');
        var n = v === 'NaN' ? -Infinity : parseFloat(v);
        return isNaN(n) ? v : n;
      };
      Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return asc ? c : -c;
      }).forEach(function (row) { body.appendChild(row); });
    });
  });
});
`;

/** A cell that sorts by its exact value; SQNR below 20 dB is flagged bad, below 30 dB a warning. */
function cell(text: string, sortKey: string | number, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''} data-sort="${escapeHtml(String(sortKey))}">${escapeHtml(text)}</td>`;
}

function sqnrClass(db: number): string {
  return Number.isNaN(db) || db < 20 ? 'bad' : db < 30 ? 'warn' : '';
}

function metricCells(m: ErrorMetrics): string {
  return cell(formatCosine(m.cosine), m.cosine) + cell(formatDb(m.sqnrDb), m.sqnrDb, sqnrClass(m.sqnrDb)) + cell(formatRelL2(m.relL2), m.relL2);
}

const METRIC_HEADS = (what: string) => `<th>${what} cosine</th><th>${what} SQNR (dB)</th><th>${what} rel. L2</th>`;

function outputsTable(report: AccuracyReport): string {
  const rows = report.outputs.map((o) => `<tr>${cell(o.output, o.output, 'name')}${metricCells(o.metrics)}</tr>`);
  return `<table class="sortable"><thead><tr><th class="name">Output</th>${METRIC_HEADS('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * The scope every layer name starts with ("StatefulPartitionedCall/functional_1/" in
 * Keras exports), shown once above the table instead of on every row.
 */
export function commonScope(names: readonly string[]): string {
  if (names.length < 2) return '';
  let prefix = names[0].slice(0, names[0].lastIndexOf('/') + 1);
  for (const n of names) while (prefix && !n.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
  return prefix;
}

function layerRow(l: LayerAccuracy, index: number, worst: ReadonlySet<string>, scope: string): string {
  const strip = (n: string) => (n.startsWith(scope) ? n.slice(scope.length) : n);
  const origins = l.origins.filter((o) => o !== l.layer);
  const name = origins.length > 0 ? `${strip(l.layer)} (from ${origins.map(strip).join(', ')})` : strip(l.layer);
  const cls = worst.has(l.layer) ? ' class="worst"' : '';
  const lost = l.input.cosine - l.cumulative.cosine;
  const lostCell = cell(Number.isNaN(lost) ? 'NaN' : lost.toFixed(5), Number.isNaN(lost) ? 'NaN' : lost, lost > 0.01 ? 'bad' : lost > 0.002 ? 'warn' : '');
  return `<tr${cls}>${cell(String(index + 1), index + 1)}${cell(name, l.layer, 'name')}${cell(l.op, l.op, 'op')}${metricCells(l.isolated)}${metricCells(l.cumulative)}${lostCell}</tr>`;
}

function layersTable(layers: readonly LayerAccuracy[], worst: ReadonlySet<string>, scope: string): string {
  const rows = layers.map((l, i) => layerRow(l, i, worst, scope));
  const head = `<th>#</th><th class="name">Layer</th><th class="op">Op</th>${METRIC_HEADS('Isolated')}${METRIC_HEADS('Cumulative')}<th>Cosine lost here</th>`;
  return `<table class="sortable" id="layers"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderHtmlReport(report: AccuracyReport): string {
  const worst = new Set(report.worst.slice(0, HIGHLIGHTED_LAYERS).map((l) => l.layer));
  const scope = commonScope(report.layers.map((l) => l.layer));
  const shown = (n: string) => escapeHtml(n.startsWith(scope) ? n.slice(scope.length) : n);
  const worstList = report.worst.slice(0, HIGHLIGHTED_LAYERS).map((l) => `<code>${shown(l.layer)}</code> (#${report.layers.indexOf(l) + 1}, ${formatDb(l.isolated.sqnrDb)} dB)`).join(', ');
  const lost = (l: LayerAccuracy) => l.input.cosine - l.cumulative.cosine;
  const mostLost = [...report.layers].sort((a, b) => lost(b) - lost(a)).slice(0, 3)
    .map((l) => `<code>${shown(l.layer)}</code> (#${report.layers.indexOf(l) + 1}, ${lost(l).toFixed(4)})`).join(', ');
  const title = `INT8 accuracy report: ${report.model.split(/[\\/]/).pop() ?? report.model}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<dl class="meta"><dt>Model</dt><dd>${escapeHtml(report.model)}</dd><dt>Record</dt><dd>${escapeHtml(report.recordFile)}</dd>
<dt>Batches</dt><dd>${report.batches}</dd><dt>Quantized layers</dt><dd>${report.layers.length}</dd>${scope ? `<dt>Layer scope</dt><dd>${escapeHtml(scope)} (left out of the names below)</dd>` : ''}</dl>
<h2>Model outputs (INT8 vs float)</h2>
${outputsTable(report)}
<h2>SQNR per layer, in graph order</h2>
<p class="note">Isolated: the layer alone quantized, fed the float model's activations (what the layer itself loses).
Cumulative: the layer's output in the whole INT8 model against the float model's (errors of every earlier layer included).
Worst by isolated error: ${worstList || 'none'}.
Most cosine lost in the INT8 model (input vs output of the layer): ${mostLost || 'none'}.</p>
${renderSqnrChart(report.layers, worst)}
<h2>Layers</h2>
<p class="note">Click a column to sort. SQNR below 20 dB in red, below 30 dB in orange. Cosine lost here: the
cumulative cosine of the layer's input minus that of its output, i.e. what the INT8 model loses at this layer
(its own rounding and its amplification of the error it receives); above 0.01 in red.</p>
${layersTable(report.layers, worst, scope)}
<script>${SORT_SCRIPT}</script>
</body></html>
`;
}
