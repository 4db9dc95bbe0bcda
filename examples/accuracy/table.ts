/**
 * The tables of docs/accuracy.md, generated from the rows run.ts measures. One column per
 * configuration (default flow, auto calibration, ...): adding a configuration (a DMQ
 * balancer row, say) is adding a column, nothing else changes.
 */
import { COSINE_TARGET } from './evaluate';
import type { AccuracyRow } from './evaluate';
import type { TaskResult } from './tasks';

export interface TableColumn {
  /** Heading, e.g. "Default INT8". */
  title: string;
  /** The configuration's row per model name. */
  rows: Map<string, AccuracyRow>;
}

const SHORT_PREFIX = /^(StatefulPartitionedCall\/)?(functional_1\/|model_1\/(model\/)?|center_net_mobile_net_v2fpn_feature_extractor\/model_1\/model\/)?/;

/** Layer names without the Keras/TF wrapper prefixes, as the docs print them. */
function shortLayer(name: string): string {
  return name.replace(SHORT_PREFIX, '');
}

function formatValue(t: TaskResult): string {
  if (t.unit === 'px' || t.unit === 'years') return `${t.value.toFixed(2)} ${t.unit}`;
  if (t.unit === '|Δp|') return `\\|Δp\\| ${t.value.toFixed(4)}`; // escaped: a bare | ends a table cell
  if (t.unit === 'matched') return `${(100 * t.value).toFixed(1)} % matched`;
  return t.value.toFixed(4);
}

function floatReference(t: TaskResult): string {
  if (t.reference) return t.reference;
  return t.better === 'higher' ? '1 (reference)' : '0 (reference)';
}

function cell(row: AccuracyRow | undefined, index: number): string {
  const t = row?.task[index];
  if (!row || !t) return '—';
  const float = row.floatLayers?.length ? [`${row.floatLayers.length} layer${row.floatLayers.length > 1 ? 's' : ''} float`] : [];
  const balanced = row.balancedLayers?.length ? [`${row.balancedLayers.length} balanced`] : [];
  const layers = index === 0 && float.length + balanced.length ? `; ${[...float, ...balanced].join(', ')}` : '';
  return `${formatValue(t)}${layers}`;
}

function firstRow(model: string, columns: TableColumn[]): AccuracyRow | undefined {
  for (const c of columns) if (c.rows.get(model)) return c.rows.get(model);
  return undefined;
}

/** Model · task metric · float · one cell per configuration, one line per task result. */
export function taskTable(models: string[], columns: TableColumn[]): string {
  const lines = [`| Model | Task metric (held-out, float vs INT8) | Float | ${columns.map((c) => c.title).join(' | ')} |`, `|---|---|---|${columns.map(() => '---|').join('')}`];
  for (const model of models) {
    const first = firstRow(model, columns);
    if (!first) continue;
    first.task.forEach((t, i) => {
      lines.push(`| ${i === 0 ? `**${model}**` : ''} | ${t.name} | ${floatReference(t)} | ${columns.map((c) => cell(c.rows.get(model), i)).join(' | ')} |`);
    });
  }
  return lines.join('\n');
}

/** Raw output cosine (mean / min over held-out inputs) per model output and configuration. */
export function outputTable(models: string[], columns: TableColumn[]): string {
  const lines = [`| Model | Output | ${columns.map((c) => `${c.title}: cosine mean / min`).join(' | ')} |`, `|---|---|${columns.map(() => '---|').join('')}`];
  for (const model of models) {
    const first = firstRow(model, columns);
    if (!first) continue;
    first.outputs.forEach((o, i) => {
      const cells = columns.map((c) => {
        const out = c.rows.get(model)?.outputs[i];
        if (!out) return '—';
        const bold = out.meanCosine < COSINE_TARGET ? '**' : '';
        return `${bold}${out.meanCosine.toFixed(4)}${bold} / ${out.minCosine.toFixed(4)}`;
      });
      lines.push(`| ${i === 0 ? model : ''} | \`${o.output}\` | ${cells.join(' | ')} |`);
    });
  }
  return lines.join('\n');
}

/** The float layers each configuration chose, per model (auto calibration's answer). */
export function floatLayerList(models: string[], column: TableColumn): string {
  const lines: string[] = [];
  for (const model of models) {
    const layers = column.rows.get(model)?.floatLayers ?? [];
    if (layers.length) lines.push(`- ${model}: ${layers.map((l) => `\`${shortLayer(l)}\``).join(', ')}`);
  }
  return lines.join('\n');
}
