// The report page: well-formed, escaped, self-contained, accessible, and its charts and grids carry the report's numbers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReportSchema, type Report } from '../../src/engine/audit/report';
import { renderReportHtml } from '../../src/report/html';
import { FLAG_DOCS } from '../../src/report/sections';
import { CHART, seriesKey } from '../../src/report/svg';
import { renderReportHtml as routeRender } from '../../src/routes/html';
import { checkWellFormed, decode, elements, sectionOf } from './parse';

// A real audit (quantized CNN, w2 twin, staircase defense, surrogate) trimmed to two examples; see README in fixtures.
const fixture = (): Report => ReportSchema.parse(JSON.parse(readFileSync(new URL('./fixtures/report.json', import.meta.url), 'utf8')));
const page = renderReportHtml(fixture(), { id: 'abc', signature: { status: 'signed', keyid: 'k1', verifyCommand: 'qaudit verify a.json --keys k.json' } });

describe('report page', () => {
  it('is a well-formed document with lang, viewport, title, one h1 and headings that never skip a level', () => {
    expect(() => checkWellFormed(page)).not.toThrow();
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toMatch(/<html lang="en">/);
    expect(page).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(page).toMatch(/<title>qaudit report abc<\/title>/);
    const levels = [...page.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
    expect(levels[0]).toBe(1);
    expect(levels.filter((l) => l === 1)).toHaveLength(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
  });

  it('references nothing outside itself and runs no script', () => {
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|\son\w+=|\ssrc=|url\(/i);
    for (const a of elements(page, 'a')) expect(a.attrs.href).toMatch(/^#[a-z]+$/);
    const ids = new Set(elements(page, 'section').map((s) => s.attrs.id));
    for (const a of elements(page, 'a')) expect(ids.has(a.attrs.href!.slice(1))).toBe(true);
  });

  it('escapes every value: a hostile layer, data, variant and flag text is shown as text', () => {
    const evil = '<script>alert(1)</script>';
    const r = fixture();
    r.model.layers[0]!.name = evil;
    r.data.name = `"${evil}'`;
    r.flags[0]!.message = evil;
    r.notes.push(evil);
    r.settings.defense = { mapping: evil };
    const html = renderReportHtml(r, { id: evil, signature: { status: 'signed', keyid: evil, verifyCommand: evil } });
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&lt;script&gt;');
    expect(() => checkWellFormed(html)).not.toThrow();
  });

  it('escapes <, >, &, double and single quotes in model, layer, variant, data set and flag names, in text and attributes', () => {
    const evil = `<script>alert("x" & 'y')</script>`;
    const shown = '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;';
    const r = fixture();
    r.model.layers[0]!.name = evil;
    r.model.layers[0]!.className = evil;
    r.data.name = evil;
    for (const v of r.variants.filter((x) => x.name === 'w2')) v.name = evil;
    for (const x of r.rows.filter((x) => x.variant === 'w2')) x.variant = evil;
    for (const c of r.clean.filter((x) => x.variant === 'w2')) c.variant = evil;
    r.flags[0]!.id = evil;
    r.flags[0]!.message = evil;
    r.flags[0]!.explanation = evil;
    r.examples!.variant = evil;
    const html = renderReportHtml(r, { id: evil, signature: { status: 'signed', keyid: evil, verifyCommand: evil } });
    expect(html).not.toMatch(/<script|alert\("/);
    expect(() => checkWellFormed(html)).not.toThrow();
    expect(html).toContain(`<title>qaudit report ${shown}</title>`);
    const summary = sectionOf(html, 'summary');
    expect(summary).toContain(`<dt>Data</dt><dd>${shown}: first`);
    expect(summary).toContain(`<th scope="row">${shown}</th><td>${shown}</td>`);
    expect(summary).toContain(`; ${shown} (2-bit, quantized twin)</dd>`);
    expect(sectionOf(html, 'flags')).toContain(`<code>${shown}</code>: ${shown}<br><span class="expl">${shown}</span>`);
    expect(sectionOf(html, 'examples')).toContain(` on ${shown}, `);
    expect(sectionOf(html, 'signature')).toContain(`with key <code>${shown}</code>`);
    // In attributes too: the series key of a chart line and its title, decoded back to the name.
    const series = elements(sectionOf(html, 'curves'), 'polyline').map((l) => decode(l.attrs['data-series']!));
    expect(series).toContain(`${evil} / no defense`);
    expect(sectionOf(html, 'curves')).toContain(`<title>${shown} / no defense</title>`);
  });

  it('draws one polyline per (variant, defense, adaptive) series per attack, in epsilon order, at y = accuracy', () => {
    const r = fixture();
    const figures = elements(page, 'figure').filter((f) => f.attrs['data-attack']);
    expect(figures.map((f) => f.attrs['data-attack'])).toEqual([...new Set(r.rows.map((x) => x.attack))]);
    const sx = (e: number, max: number) => CHART.L + (e / max) * (CHART.W - CHART.L - CHART.R);
    const sy = (a: number) => CHART.T + (1 - a) * (CHART.H - CHART.T - CHART.B);
    for (const f of figures) {
      const rows = r.rows.filter((x) => x.attack === f.attrs['data-attack']);
      const keys = new Set(rows.map(seriesKey));
      const lines = elements(f.inner, 'polyline');
      expect(lines.map((l) => decode(l.attrs['data-series']!)).sort()).toEqual([...keys].sort());
      expect(f.inner).toMatch(/<svg[^>]* role="img" aria-label="[^"]+"/);
      expect(f.inner).toMatch(/<figcaption>/);
      const xmax = Math.max(...rows.map((x) => x.epsilon));
      for (const l of lines) {
        const mine = rows.filter((x) => seriesKey(x) === decode(l.attrs['data-series']!)).sort((a, b) => a.epsilon - b.epsilon);
        const clean = r.clean.find((c) => c.variant === mine[0]!.variant && c.defense === mine[0]!.defense)!;
        const want = [[0, clean.accuracy], ...mine.map((x) => [x.epsilon, x.accuracy])];
        const got = l.attrs.points!.split(' ').map((p) => p.split(',').map(Number));
        expect(got).toHaveLength(want.length);
        got.forEach(([x, y], i) => {
          expect(x).toBeCloseTo(sx(want[i]![0]!, xmax), 1);
          expect(y).toBeCloseTo(sy(want[i]![1]!), 1);
        });
      }
      // The legend lists the same series, each with a swatch whose dash tells the protocol apart.
      const legend = elements(f.inner, 'li').map((li) => decode(li.inner.replace(/<svg[\s\S]*?<\/svg>/, '').trim()));
      expect(legend.sort()).toEqual([...keys].sort());
    }
    // Dash styles tell the protocol apart without colour: same variant, three different dashes.
    const dashOf = new Map(elements(page, 'polyline').map((l) => [decode(l.attrs['data-series']!), l.attrs['stroke-dasharray'] ?? 'solid']));
    const protocols = ['w2 / no defense', 'w2 / staircase (plain)', 'w2 / staircase (adaptive)'];
    for (const k of protocols) expect(dashOf.has(k)).toBe(true);
    expect(new Set(protocols.map((k) => dashOf.get(k))).size).toBe(3);
  });

  it('shows three labelled images per example with the true and predicted labels', () => {
    const r = fixture();
    const items = elements(sectionOf(page, 'examples'), 'li');
    expect(items).toHaveLength(r.examples!.items.length);
    items.forEach((li, i) => {
      const it = r.examples!.items[i]!;
      const svgs = elements(li.inner, 'svg');
      expect(svgs).toHaveLength(3);
      for (const s of svgs) expect(s.attrs['aria-label']).toMatch(/^(original|perturbation ×[\d.]+|adversarial), sample \d+$/);
      expect(li.inner).toContain(`true label ${it.label}`);
      expect(li.inner).toContain(`original<br>predicted ${it.cleanPrediction}`);
      expect(li.inner).toContain(`adversarial<br>predicted ${it.adversarialPrediction}`);
    });
  });

  it('lists every raised flag with its explanation, and documents every check', () => {
    const r = fixture();
    const flags = sectionOf(page, 'flags');
    expect(r.flags.length).toBeGreaterThan(0);
    for (const f of r.flags) {
      expect(flags).toContain(decodeSafe(f.message));
      expect(flags).toContain(decodeSafe(f.explanation));
    }
    for (const id of new Set(r.flags.map((f) => f.id))) expect(Object.keys(FLAG_DOCS)).toContain(id);
    for (const id of Object.keys(FLAG_DOCS)) expect(flags).toContain(`<code>${id}</code>`);
  });

  it('lists every setting, the criteria and the signature with its verify command', () => {
    const r = fixture();
    const settings = sectionOf(page, 'settings');
    for (const [k, v] of Object.entries(r.settings)) {
      expect(settings).toContain(`<th scope="row">${k}</th><td>${decodeSafe(typeof v === 'string' ? v : JSON.stringify(v))}</td>`);
    }
    const criteria = sectionOf(page, 'criteria');
    expect(elements(criteria, 'tr').length).toBeGreaterThanOrEqual(r.criteria.al.length + r.criteria.ql.length);
    const sig = sectionOf(page, 'signature');
    expect(sig).toContain('<b>Signed</b>');
    expect(sig).toContain('<code>k1</code>');
    expect(sig).toContain('qaudit verify a.json --keys k.json');
    expect(sectionOf(renderReportHtml(r, { signature: { status: 'unsigned' } }), 'signature')).toContain('Unsigned');
  });

  it('gives every table header cell a scope and every table a caption', () => {
    const ths = [...page.matchAll(/<th(\s[^>]*)?>/g)];
    expect(ths.length).toBeGreaterThan(10);
    for (const m of ths) expect(m[1]).toMatch(/scope="(col|row)"/);
    expect(elements(page, 'table').every((t) => t.inner.startsWith('<caption>'))).toBe(true);
  });

  it('is what the API route serves, signed, with the attestation download in its verify command', () => {
    const html = routeRender(fixture(), 'job1');
    expect(html).toContain('<title>qaudit report job1</title>');
    expect(sectionOf(html, 'signature')).toContain('/v1/audits/job1/attestation');
  });
});

/** The escaped form of a plain text value, as the page writes it. */
function decodeSafe(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
