// A Hugging Face model card `model-index` block (YAML front matter) with the report's headline numbers.
import { stringify } from 'yaml';
import type { Report } from '../engine/audit/report';
import { QAUDIT_REPOSITORY } from './links';

export interface ModelCardOptions {
  /** The model-index entry's name (the model repository or file). */
  name: string;
  /** A link to the full report. */
  reportUrl?: string;
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/**
 * One result (task image-classification, the audited data set) whose metrics are the clean accuracy and the
 * headline worst-case accuracy per epsilon of the weakest deployed configuration, and the lowest accuracy per
 * attack and epsilon; metric `args` carry the norm and epsilon as HF's metric schema allows.
 */
export function modelIndex(r: Report, o: ModelCardOptions): object {
  const norm = String(r.settings.norm ?? 'linf');
  const deployed = new Set(r.headline.map((h) => h.variant));
  const cleanRows = r.clean.filter((c) => c.defense === 'none' && (deployed.size === 0 || deployed.has(c.variant)));
  const clean = cleanRows.length ? Math.min(...cleanRows.map((c) => c.accuracy)) : undefined;
  const metrics: object[] = [];
  if (clean !== undefined) metrics.push({ type: 'accuracy', value: round(clean), name: 'Clean accuracy' });
  for (const h of r.headline) {
    metrics.push({ type: 'robust_accuracy', value: round(h.accuracy), name: `Worst-case robust accuracy (${norm}, eps ${h.epsilon})`, args: { norm, epsilon: h.epsilon, variant: h.variant, defense: h.defense } });
  }
  const attacks = [...new Set(r.rows.map((x) => `${x.attack}@${x.epsilon}`))];
  for (const key of attacks) {
    const rows = r.rows.filter((x) => `${x.attack}@${x.epsilon}` === key && x.defense === 'none' && (deployed.size === 0 || deployed.has(x.variant)));
    if (rows.length === 0) continue;
    const low = rows.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    metrics.push({ type: 'robust_accuracy', value: round(low.accuracy), name: `${low.attack.toUpperCase()} accuracy (${norm}, eps ${low.epsilon})`, args: { attack: low.attack, norm, epsilon: low.epsilon, variant: low.variant } });
  }
  return {
    'model-index': [{
      name: o.name,
      results: [{
        task: { type: 'image-classification', name: 'Image Classification' },
        dataset: { type: r.data.name, name: r.data.name, split: 'test' },
        metrics,
        source: { name: `qaudit ${r.qaudit}`, url: o.reportUrl ?? QAUDIT_REPOSITORY },
      }],
    }],
  };
}

/** The block as model card front matter, between `---` lines. */
export function renderModelCard(r: Report, o: ModelCardOptions): string {
  return `---\n${stringify(modelIndex(r, o))}---\n`;
}
