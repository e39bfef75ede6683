// The retraining report page: well-formed, escaped, self-contained, and its loss and before/after curves carry the numbers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReportSchema, type Report } from '../../src/engine/audit/report';
import type { LossPoint, RetrainReport } from '../../src/jobs/types';
import { LOSS_CHART, niceCeil } from '../../src/report/loss-scales';
import { renderRetrainReportHtml } from '../../src/report/retrain';
import { CHART } from '../../src/report/svg';
import { checkWellFormed, decode, elements, sectionOf } from './parse';

// Real audits (see fixtures/README.md): the float example CNN with its plain 4-bit twin, and the 4-bit example as "repaired".
const load = (f: string): Report => ReportSchema.parse(JSON.parse(readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8')));
const before = load('retrain-before.json');
const after = load('retrain-after.json');
const BEFORE = 'b'.repeat(32), AFTER = 'a'.repeat(32), JOB = 'c'.repeat(32);

const acc = (r: Report, variant: string, attack?: string, eps?: number) => (attack
  ? r.rows.find((x) => x.variant === variant && x.attack === attack && x.epsilon === eps && x.defense === 'none')!.accuracy
  : r.clean.find((c) => c.variant === variant && c.defense === 'none')!.accuracy);

const LOSS: LossPoint[] = [1, 2, 3, 4, 5].map((step) => ({ step, batches: 8, samples: 256, loss: 2.6 / step, ce: 1.5 / step, boundary: 0.8 / step, distill: 0.3 / step }));

/** What the lead's job writes, built from the two real audits the way the contract describes it. */
function retrainReport(loss: LossPoint[] = LOSS): RetrainReport {
  const links = (id: string) => ({ self: `/v1/audits/${id}`, report: `/v1/audits/${id}/report`, reportHtml: `/v1/audits/${id}/report.html` });
  return {
    schema: 'qaudit.retrain-report/v1', job: JOB, createdAt: '2026-11-25T12:00:00.000Z',
    settings: { method: 'boundary', bits: 4, epochs: 1, seed: 0, batchSize: 32, boundary: { eps: 0.1 } },
    data: { train: 'mnist-train', eval: 'mnist-test' }, models: { original: 'd'.repeat(64), repaired: 'e'.repeat(64) }, loss,
    audits: { before: { id: BEFORE, links: links(BEFORE) }, after: { id: AFTER, links: links(AFTER) } },
    clean: { float: acc(before, 'float'), quantized: acc(before, 'w4'), repaired: acc(after, 'original') },
    robust: before.rows.filter((x) => x.variant === 'float').map((x) => ({
      attack: x.attack, epsilon: x.epsilon, float: x.accuracy, quantized: acc(before, 'w4', x.attack, x.epsilon), repaired: acc(after, 'original', x.attack, x.epsilon),
    })),
  };
}
const page = renderRetrainReportHtml(retrainReport(), before, after, JOB);
const points = (l: { attrs: Record<string, string> }) => l.attrs.points!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);

describe('retraining report page', () => {
  it('is a well-formed document with lang, viewport, title, one h1 and headings that never skip a level', () => {
    expect(() => checkWellFormed(page)).not.toThrow();
    expect(page).toMatch(/<html lang="en">/);
    expect(page).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(page).toContain(`<title>qaudit retraining report ${JOB}</title>`);
    const levels = [...page.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
    expect(levels.filter((l) => l === 1)).toHaveLength(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    const ths = [...page.matchAll(/<th(\s[^>]*)?>/g)];
    for (const m of ths) expect(m[1]).toMatch(/scope="(col|row)"/);
  });

  it('runs no script, loads nothing, and links only to its sections and to the two audits on the same server', () => {
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|\son\w+=|\ssrc=|url\(/i);
    const ids = new Set(elements(page, 'section').map((s) => s.attrs.id));
    const hrefs = elements(page, 'a').map((a) => a.attrs.href!);
    for (const h of hrefs.filter((x) => x.startsWith('#'))) expect(ids.has(h.slice(1))).toBe(true);
    expect(hrefs.filter((x) => !x.startsWith('#')).sort()).toEqual([
      `/v1/audits/${AFTER}/report`, `/v1/audits/${AFTER}/report.html`, `/v1/audits/${BEFORE}/report`, `/v1/audits/${BEFORE}/report.html`,
    ]);
  });

  it('escapes every value: hostile settings, data names and links are shown as text', () => {
    const evil = '<script>alert(1)</script>';
    const r = retrainReport();
    r.settings.method = evil;
    r.data.train = `"${evil}'`;
    r.audits.before.links.reportHtml = `javascript:"><script>`;
    r.audits.before.links.report = '//evil.example/x';
    const html = renderRetrainReportHtml(r, before, after, evil);
    expect(html).not.toMatch(/<script/i);
    // A link that is not a path on this server falls back to the audit's own path.
    expect(html).not.toMatch(/href="(javascript:|\/\/)/);
    expect(html).toContain(`href="/v1/audits/${BEFORE}/report.html"`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(() => checkWellFormed(html)).not.toThrow();
  });

  it('escapes <, >, &, double and single quotes in job, model, data set, attack and audit names, in text and attributes', () => {
    const evil = `<script>alert("x" & 'y')</script>`;
    const shown = '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;';
    const r = retrainReport();
    r.models.original = evil;
    r.data.train = evil;
    r.data.eval = evil;
    r.settings.method = evil;
    for (const x of r.robust.filter((x) => x.attack === 'fgsm')) x.attack = evil;
    r.audits.after.id = evil;
    const b = structuredClone(before);
    b.data.name = evil;
    b.flags[0]!.id = evil;
    const html = renderRetrainReportHtml(r, b, after, evil, { signature: { status: 'signed', keyid: evil, verifyCommand: evil } });
    expect(html).not.toMatch(/<script|alert\("/);
    expect(() => checkWellFormed(html)).not.toThrow();
    expect(html).toContain(`<title>qaudit retraining report ${shown}</title>`);
    const summary = sectionOf(html, 'summary');
    expect(summary).toContain(`<dt>Job</dt><dd><code>${shown}</code>`);
    expect(summary).toContain(`<dt>Method</dt><dd>${shown}, 4-bit`);
    expect(summary).toContain(`<dt>Original model</dt><dd><code>${shown}</code></dd>`);
    expect(summary).toContain(`<dt>Training data</dt><dd>${shown}</dd>`);
    expect(summary).toContain(`<dt>Evaluation data</dt><dd>${shown}</dd>`);
    const curves = sectionOf(html, 'curves');
    expect(elements(curves, 'figure').map((f) => decode(f.attrs['data-attack']!))).toEqual([evil, 'pgd']);
    expect(curves).toContain(`<figcaption><b>${shown}</b>, white-box`);
    expect(curves).toContain(`<th scope="row">${shown}</th>`);
    const audits = sectionOf(html, 'audits');
    expect(audits).toContain(` on ${shown} (16 samples)`);
    expect(audits).toContain(`sanity flag(s): ${shown}`);
    expect(audits).toContain(`audit <code>${shown}</code> report`);
    expect(sectionOf(html, 'signature')).toContain(`with key <code>${shown}</code>`);
  });

  it('draws the loss and each of its parts as a polyline, x by step, y by value under a round axis top', () => {
    const fig = elements(sectionOf(page, 'loss'), 'figure')[0]!;
    const lines = elements(fig.inner, 'polyline');
    expect(lines.map((l) => l.attrs['data-part'])).toEqual(['loss', 'ce', 'boundary', 'distill']);
    const top = 5; // the largest value is 2.6: the axis ends at 5, the first round number above it of the 1-2-2.5-5 series
    const { L, R, T, B, W, H } = LOSS_CHART;
    for (const l of lines) {
      const key = l.attrs['data-part'] as 'loss';
      points(l).forEach(([x, y], i) => {
        expect(x).toBeCloseTo(L + ((i + 1) / 5) * (W - L - R), 1);
        expect(y).toBeCloseTo(T + (1 - LOSS[i]![key] / top) * (H - T - B), 1);
      });
    }
    expect(fig.inner).toMatch(/<svg[^>]* role="img" aria-label="Training loss against step, 5 steps, final loss 0.5200"/);
    // The same numbers as a table, for readers who cannot see the chart.
    expect(elements(sectionOf(page, 'loss'), 'tr')).toHaveLength(1 + LOSS.length);
  });

  it('draws only the parts a method has, and says so when there was no training', () => {
    const qat = LOSS.map(({ boundary: _b, distill: _d, ...p }) => p);
    const lines = elements(sectionOf(renderRetrainReportHtml(retrainReport(qat), before, after, JOB), 'loss'), 'polyline');
    expect(lines.map((l) => l.attrs['data-part'])).toEqual(['loss', 'ce']);
    const none = renderRetrainReportHtml(retrainReport([]), before, after, JOB);
    expect(sectionOf(none, 'loss')).toContain('No training step was recorded');
    expect(() => checkWellFormed(none)).not.toThrow();
  });

  it('rounds the loss axis up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.2, 2.3, 3, 0.011, 70, 0].map(niceCeil)).toEqual([1, 1, 2, 2.5, 5, 0.02, 100, 1]);
  });

  it('draws float, plain 4-bit and repaired 4-bit per attack, starting at the clean accuracy', () => {
    const r = retrainReport();
    const figs = elements(sectionOf(page, 'curves'), 'figure');
    expect(figs.map((f) => f.attrs['data-attack'])).toEqual(['fgsm', 'pgd']);
    const sy = (a: number) => CHART.T + (1 - a) * (CHART.H - CHART.T - CHART.B);
    for (const f of figs) {
      const lines = elements(f.inner, 'polyline');
      expect(lines.map((l) => decode(l.attrs['data-series']!))).toEqual(['float original / no defense', '4-bit plain / no defense', '4-bit repaired / no defense']);
      const rows = r.robust.filter((x) => x.attack === f.attrs['data-attack']);
      (['float', 'quantized', 'repaired'] as const).forEach((w, i) => {
        const want = [r.clean[w], ...rows.map((x) => x[w])];
        expect(points(lines[i]!).map(([, y]) => y)).toEqual(want.map((a) => expect.closeTo(sy(a), 1)));
      });
    }
    const curves = sectionOf(page, 'curves');
    // pgd at 0.3: float 31.3%, plain 25.0%, the 4-bit example 25.0%: no change.
    expect(curves).toContain('<th scope="row">pgd</th><td>0.3</td><td>31.3%</td><td>25.0%</td><td>25.0%</td><td>0.0 pts</td>');
    expect(sectionOf(page, 'summary')).toContain('<th scope="row">4-bit plain</th><td>93.8%</td><td>0.0 pts</td>');
  });

  it('links both audits with their flags, and tells how to verify their signatures', () => {
    const audits = sectionOf(page, 'audits');
    expect(audits).toContain(`<a href="/v1/audits/${BEFORE}/report.html">audit <code>${BEFORE}</code> report</a>`);
    expect(audits).toContain(`<a href="/v1/audits/${AFTER}/report.html">audit <code>${AFTER}</code> report</a>`);
    expect(audits).toContain('Variants float, w4 on mnist-test (16 samples)');
    expect(audits).toContain(`${before.flags.length} sanity flag(s): pgd_weaker_than_fgsm`);
    const sig = sectionOf(page, 'signature');
    for (const id of [BEFORE, AFTER]) expect(sig).toContain(`/v1/audits/${id}/attestation`);
    const signed = renderRetrainReportHtml(retrainReport(), before, after, JOB, { signature: { status: 'signed', keyid: 'k1', verifyCommand: 'qaudit verify r.json' } });
    expect(sectionOf(signed, 'signature')).toMatch(/<b>Signed<\/b> with key <code>k1<\/code>[\s\S]*qaudit verify r\.json/);
    const settings = sectionOf(page, 'settings');
    expect(settings).toContain('<th scope="row">boundary</th><td>{&quot;eps&quot;:0.1}</td>');
  });
});
