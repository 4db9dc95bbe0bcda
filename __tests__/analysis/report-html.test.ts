/**
 * The HTML report's text: names escaped, no URL or external resource, the common scope
 * left out of the table once, worst layers highlighted, non-finite numbers shown as ∞.
 */
import { renderHtmlReport, commonScope, HIGHLIGHTED_LAYERS } from '../../src/analysis/report-html';
import type { AccuracyReport, LayerAccuracy } from '../../src/analysis';

function layer(name: string, cosine: number, sqnrDb: number): LayerAccuracy {
  return { layer: name, op: 'Conv2D', kind: 'conv2d', origins: [name], isolated: { cosine, sqnrDb, relL2: 10 ** (-sqnrDb / 20) }, cumulative: { cosine, sqnrDb: sqnrDb - 3, relL2: 0.1 }, input: { cosine: 1, sqnrDb: Infinity, relL2: 0 } };
}

function report(layers: LayerAccuracy[]): AccuracyReport {
  return {
    model: '/models/<b>m</b>.pb',
    recordFile: '/r/"rec"&.txt',
    batches: 2,
    outputs: [{ output: "out'<i>", metrics: { cosine: 0.99, sqnrDb: 20, relL2: 0.1 } }],
    layers,
    worst: [...layers].sort((a, b) => a.isolated.cosine - b.isolated.cosine),
  };
}

describe('renderHtmlReport', () => {
  test('escapes every name taken from the model and the paths', () => {
    const html = renderHtmlReport(report([layer('net/<script>alert(1)</script>', 0.9, 10), layer('net/a&b"c', 0.99, 30)]));
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<b>m</b>');
    expect(html).not.toContain("out'<i>");
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a&amp;b&quot;c');
    expect(html).toContain('/r/&quot;rec&quot;&amp;.txt');
    expect(html.match(/<script>/g)).toHaveLength(1); // the page's own sorting script only
  });

  test('is self-contained: no URL, no external script, style, font or image', () => {
    const html = renderHtmlReport(report([layer('a', 0.99, 30)]));
    expect(html).not.toMatch(/https?:|src=|href=|@import|url\(/);
  });

  test('highlights the worst layers, marks exact layers with ∞, leaves the common scope out of the table', () => {
    const layers = Array.from({ length: 8 }, (_, i) => layer(`model/block/conv${i}`, 0.9 + i / 100, 10 + i * 3));
    layers.push(layer('model/block/exact', 1, Infinity));
    const html = renderHtmlReport(report(layers));
    expect(html.match(/<tr class="worst">/g)).toHaveLength(HIGHLIGHTED_LAYERS);
    expect(html).toContain('>∞<');
    expect(html).toContain('model/block/ (left out of the names below)');
    expect(html).toContain('<td class="name" data-sort="model/block/conv0">conv0</td>');
  });

  test('commonScope: the longest shared scope ending in "/"', () => {
    expect(commonScope(['a/b/c', 'a/b/d/e', 'a/b/f'])).toBe('a/b/');
    expect(commonScope(['a/bc/x', 'a/bd/y'])).toBe('a/');
    expect(commonScope(['x', 'y'])).toBe('');
    expect(commonScope(['only/one'])).toBe('');
  });
});
