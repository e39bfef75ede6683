// A minimal self-contained HTML view of a report (no scripts, no external assets); every value is escaped.
import type { Report } from '../engine/audit/report';

export const escapeHtml = (v: unknown): string =>
  String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function table(head: string[], rows: unknown[][]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

export function renderReportHtml(report: Report, id: string): string {
  const m = report.model;
  const sections = [
    `<h1>qaudit report ${escapeHtml(id)}</h1>`,
    `<p>Model: ${escapeHtml(m.layers.length)} layers, ${escapeHtml(m.parameters)} parameters, weights ${m.bits === null ? 'float' : `${escapeHtml(m.bits)}-bit`}; data ${escapeHtml(report.data.name)}, ${escapeHtml(report.data.samples)} samples.</p>`,
    '<h2>Headline (worst case per epsilon)</h2>',
    table(['epsilon', 'accuracy', 'variant', 'defense'], report.headline.map((h) => [h.epsilon, pct(h.accuracy), h.variant, h.defense])),
    '<h2>Clean accuracy</h2>',
    table(['variant', 'defense', 'accuracy', 'correct / samples'], report.clean.map((c) => [c.variant, c.defense, pct(c.accuracy), `${c.correct} / ${c.samples}`])),
    '<h2>Attacks</h2>',
    table(['attack', 'norm', 'epsilon', 'variant', 'defense', 'adaptive', 'accuracy'],
      report.rows.map((r) => [r.attack, r.norm, r.epsilon, r.variant, r.defense, r.adaptive ? 'yes' : 'no', pct(r.accuracy)])),
    '<h2>Flags</h2>',
    report.flags.length ? `<ul>${report.flags.map((f) => `<li><b>${escapeHtml(f.severity)}</b> ${escapeHtml(f.message)}: ${escapeHtml(f.explanation)}</li>`).join('')}</ul>` : '<p>None.</p>',
    report.notes.length ? `<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '',
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qaudit report ${escapeHtml(id)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}th{background:#f4f4f4}</style>
</head><body>
${sections.join('\n')}
</body></html>
`;
}
