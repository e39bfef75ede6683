// The readable summary the CLI prints: one table per defense setting, variants as rows, attack@eps as columns.
import type { Report } from '../engine/audit/report';
import { pct } from '../engine/format';

const cell = (x: number | undefined) => (x === undefined ? '   -  ' : pct(x).padStart(6));

export function formatSummary(r: Report): string {
  const out: string[] = [];
  const removed = r.model.removedSoftmax ? ' (final softmax removed: attacks see logits)' : '';
  out.push(`model: ${r.model.layers.length} layers, ${r.model.parameters} parameters, ` +
    `weights ${r.model.bits === null ? 'float' : `${r.model.bits}-bit`}${removed}`);
  out.push(`data: ${r.data.name}, ${r.data.samples} of ${r.data.total} samples; norm ${r.settings.norm}`);
  const guards = [...new Set(r.rows.map((x) => `${x.defense}|${x.adaptive}`))];
  for (const g of guards) {
    const [defense, adaptive] = g.split('|');
    const rows = r.rows.filter((x) => x.defense === defense && String(x.adaptive) === adaptive);
    const cols = [...new Set(rows.map((x) => `${x.attack}@${x.epsilon}`))];
    out.push('');
    out.push(`defense: ${defense}${defense === 'none' ? '' : adaptive === 'true' ? ' (adaptive attacks: BPDA/EOT)' : ' (plain attacks)'}`);
    out.push(['variant'.padEnd(9), 'clean '.padStart(7), ...cols.map((c) => c.padStart(Math.max(c.length, 7)))].join(' '));
    for (const v of r.variants) {
      const clean = r.clean.find((c) => c.variant === v.name && c.defense === defense)?.accuracy;
      const cells = cols.map((c) => {
        const row = rows.find((x) => x.variant === v.name && `${x.attack}@${x.epsilon}` === c);
        return cell(row?.accuracy).padStart(Math.max(c.length, 7));
      });
      out.push([v.name.padEnd(9), cell(clean).padStart(7), ...cells].join(' '));
    }
  }
  out.push('');
  for (const h of r.headline) out.push(`headline @ eps ${h.epsilon}: ${pct(h.accuracy)} worst-case accuracy (${h.variant}, defense ${h.defense})`);
  for (const f of r.flags) out.push(`${f.severity.toUpperCase()} ${f.id}: ${f.message}`);
  return out.join('\n');
}
