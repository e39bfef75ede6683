// Regression gates against a baseline, the Markdown summary and the Hugging Face model-index block.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseThresholds } from '../../src/engine/audit/junit';
import { ReportSchema, type Report } from '../../src/engine/audit/report';
import { renderMarkdown } from '../../src/report/markdown';
import { modelIndex, renderModelCard } from '../../src/report/model-card';
import { compareReports, formatDeltas, parseMaxDrop } from '../../src/report/regression';

const report: Report = ReportSchema.parse(JSON.parse(readFileSync(new URL('./fixtures/report.json', import.meta.url), 'utf8')));
/** The same report with every attack row `by` points less accurate. */
const weaker = (by: number): Report => ({ ...report, rows: report.rows.map((r) => ({ ...r, accuracy: Math.max(0, r.accuracy - by) })) });
const pgd01 = (r: Report) => Math.min(...r.rows.filter((x) => x.attack === 'pgd' && x.epsilon === 0.1 && x.defense === 'staircase').map((x) => x.accuracy));

describe('regression gates', () => {
  it('passes within the allowed drop and fails beyond it, with a table of deltas', () => {
    const drops = parseMaxDrop('pgd@0.1=0.05');
    expect(compareReports(report, report, drops).passed).toBe(true);
    expect(pgd01(report)).toBeGreaterThan(0.1);
    const ok = compareReports(weaker(0.03), report, drops);
    expect(ok.passed).toBe(true);
    expect(ok.deltas[0]!.delta).toBeCloseTo(-0.03, 10);
    const bad = compareReports(weaker(0.1), report, drops);
    expect(bad.passed).toBe(false);
    expect(bad.deltas[0]!.message).toMatch(/pgd@0.1: accuracy fell by 0.1 .* more than the allowed 0.05/);
    expect(formatDeltas(bad.deltas)).toMatch(/pgd@0.1\s+\d+\.\d%\s+\d+\.\d%\s+-10\.0\s+5\.0\s+FAIL/);
  });

  it('fails a target that one side lacks and refuses a malformed --max-drop', () => {
    const r = compareReports(report, report, parseMaxDrop('pgd@0.2=0.5'));
    expect(r.passed).toBe(false);
    expect(r.deltas[0]!.message).toContain('no result');
    expect(() => parseMaxDrop('pgd@0.1=2')).toThrow(/--max-drop: .*the drop must be a fraction/);
    expect(() => parseMaxDrop('nope@0.1=0.1')).toThrow(/--max-drop/);
  });
});

describe('renderMarkdown', () => {
  it('shows the headline, a table per variant, thresholds and deltas', () => {
    const md = renderMarkdown(weaker(0.1), { thresholds: parseThresholds('clean=0.01,pgd@0.3=0.99'), deltas: compareReports(weaker(0.1), report, parseMaxDrop('pgd@0.1=0.05')).deltas, reportUrl: 'https://q.example/r' });
    expect(md).toMatch(/^## qaudit robustness: FAILED/);
    expect(md).toContain('| epsilon | worst-case accuracy | weakest configuration |');
    expect(md).toMatch(/\| original \| 4 \| \d+\.\d% \|/);
    expect(md).toMatch(/`clean=0.01` \| ✅ met/);
    expect(md).toMatch(/`pgd@0.3=0.99` \| ❌/);
    expect(md).toMatch(/`pgd@0.1` .* -10\.0 \| 5\.0 \| ❌/);
    expect(md).toContain('[Full report](https://q.example/r)');
    expect(renderMarkdown(report)).toMatch(/^## qaudit robustness: passed/);
  });
});

describe('model card', () => {
  it('is a model-index block that YAML reads back, with the headline numbers', () => {
    const text = renderModelCard(report, { name: 'acme/mnist-w4' });
    expect(text.startsWith('---\n') && text.endsWith('---\n')).toBe(true);
    const card = parse(text.slice(4, -4)) as { 'model-index': { name: string; results: { task: { type: string }; dataset: { type: string }; metrics: { type: string; value: number; name: string; args?: { epsilon: number } }[] }[] }[] };
    expect(card).toEqual(JSON.parse(JSON.stringify(modelIndex(report, { name: 'acme/mnist-w4' }))));
    const entry = card['model-index'][0]!;
    expect(entry.name).toBe('acme/mnist-w4');
    expect(entry.results[0]!.task.type).toBe('image-classification');
    const robust = entry.results[0]!.metrics.filter((m) => m.name.startsWith('Worst-case'));
    expect(robust.map((m) => [m.args!.epsilon, m.value])).toEqual(report.headline.map((h) => [h.epsilon, h.accuracy]));
    expect(entry.results[0]!.metrics[0]!.type).toBe('accuracy');
  });
});
