// The report as a short Markdown summary: for $GITHUB_STEP_SUMMARY, PR comments and --markdown FILE.
import { checkThresholds, describeThreshold } from '../engine/audit/junit';
import type { Threshold } from '../engine/audit/junit';
import type { Report } from '../engine/audit/report';
import type { Delta } from './regression';
import { pctOr } from '../engine/format';

export interface MarkdownOptions {
  thresholds?: Threshold[];
  deltas?: Delta[];
  /** Heading; default "qaudit robustness". */
  title?: string;
  /** A link to the full report (the service's report.html). */
  reportUrl?: string;
}

const pct = (x: number | null | undefined) => pctOr(x, '–');
const cell = (s: string) => s.replace(/\|/g, '\\|');

function variantTable(r: Report): string[] {
  const defense = [...new Set(r.rows.map((x) => x.defense))].includes('none') ? 'none' : r.rows[0]?.defense ?? 'none';
  const rows = r.rows.filter((x) => x.defense === defense && !x.adaptive);
  const cols = [...new Set(rows.map((x) => `${x.attack}@${x.epsilon}`))];
  const out = [`| variant | bits | clean | ${cols.join(' | ')} |`, `|---|---|---|${cols.map(() => '---|').join('')}`];
  for (const v of r.variants) {
    const clean = r.clean.find((c) => c.variant === v.name && c.defense === defense)?.accuracy;
    const cells = cols.map((c) => pct(rows.find((x) => x.variant === v.name && `${x.attack}@${x.epsilon}` === c)?.accuracy));
    out.push(`| ${v.name} | ${v.bits ?? 'float'} | ${pct(clean)} | ${cells.join(' | ')} |`);
  }
  return out;
}

export function renderMarkdown(r: Report, o: MarkdownOptions = {}): string {
  const gate = checkThresholds(r, o.thresholds ?? []);
  const failedDeltas = (o.deltas ?? []).filter((d) => !d.passed);
  const passed = gate.passed && failedDeltas.length === 0;
  const out = [`## ${o.title ?? 'qaudit robustness'}: ${passed ? 'passed' : 'FAILED'}`, ''];
  out.push(`Model: ${r.model.layers.length} layers, ${r.model.parameters} parameters, weights ${r.model.bits === null ? 'float' : `${r.model.bits}-bit`}; ` +
    `data ${r.data.name} (${r.data.samples} samples); norm ${String(r.settings.norm)}; attacks ${(r.settings.attacks as string[] | undefined)?.join(', ') ?? ''}.`, '');
  if (r.headline.length) {
    out.push('| epsilon | worst-case accuracy | weakest configuration |', '|---|---|---|');
    for (const h of r.headline) out.push(`| ${h.epsilon} | ${pct(h.accuracy)} | ${h.variant}${h.defense === 'none' ? '' : ` (defense ${h.defense})`} |`);
    out.push('');
  }
  out.push(...variantTable(r), '');
  if (o.thresholds?.length) {
    out.push('| threshold | result |', '|---|---|');
    for (const t of o.thresholds) {
      const f = gate.failures.find((x) => x.threshold === t);
      out.push(`| \`${describeThreshold(t)}\` | ${f ? `❌ ${cell(f.message)}` : '✅ met'} |`);
    }
    out.push('');
  }
  if (o.deltas?.length) {
    out.push('| against baseline | baseline | current | delta (pts) | allowed drop | |', '|---|---|---|---|---|---|');
    for (const d of o.deltas) {
      const delta = d.delta === null ? '–' : `${d.delta > 0 ? '+' : ''}${(100 * d.delta).toFixed(1)}`;
      out.push(`| \`${d.key}\` | ${pct(d.baseline)} | ${pct(d.current)} | ${delta} | ${(100 * d.allowed).toFixed(1)} | ${d.passed ? '✅' : '❌'} |`);
    }
    out.push('');
  }
  const errors = r.flags.filter((f) => f.severity !== 'info');
  if (errors.length) {
    out.push('Sanity flags:', '');
    for (const f of errors) out.push(`- **${f.severity}** \`${f.id}\`: ${f.message}`);
    out.push('');
  }
  if (o.reportUrl) out.push(`[Full report](${o.reportUrl})`, '');
  return out.join('\n');
}
