/** Text formatting shared by the HTML report and the command line's table. */

/** Escapes the five characters that matter in HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function formatDb(db: number): string {
  if (db === Infinity) return '∞';
  if (db === -Infinity) return '−∞';
  return Number.isNaN(db) ? 'NaN' : db.toFixed(1);
}

export function formatCosine(c: number): string {
  return Number.isNaN(c) ? 'NaN' : c.toFixed(6);
}

export function formatRelL2(r: number): string {
  if (!Number.isFinite(r)) return Number.isNaN(r) ? 'NaN' : '∞';
  return r === 0 ? '0' : r.toPrecision(3);
}
