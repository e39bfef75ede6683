// Per-sample results as JSON lines: one line per report row (and per clean classifier) and sample, the very
// series the report's rows count, so users can join outcomes with their own data (docs/report.md#per-sample).
import type { Merged, Series } from './merged';

export interface SampleLine {
  /** Index of the sample in the audited data set (the audit evaluates its first n samples). */
  sample: number;
  /** `clean/<variant>/<defense>` or `<attack>/<norm>/<epsilon>/<variant>/<defense>[+bpda]` (docs/report.md). */
  row: string;
  label: number;
  /** The row's classifier's prediction: on the clean input for clean rows, on the row's adversarial otherwise. */
  prediction: number;
  /** 1 when correct (attack rows: correct clean and after the attack, as the row's accuracy counts it). */
  correct: 0 | 1;
}

/** The row key of a report row (`Row` or a series' row): unique within one report. */
export function rowKey(r: Series['row']): string {
  return `${r.attack}/${r.norm}/${r.epsilon}/${r.variant}/${r.defense}${r.adaptive ? '+bpda' : ''}`;
}

/** Clean rows first (one per classifier), then the report's rows in report order; samples in order within each. */
export function* sampleLines(m: Merged): Generator<SampleLine> {
  const labels = m.clean.labels;
  for (const key of Object.keys(m.clean.predicted)) {
    const [variant, defense] = splitKey(key);
    const pred = m.clean.predicted[key]!;
    for (let i = 0; i < m.n; i++) yield { sample: i, row: `clean/${variant}/${defense}`, label: labels[i]!, prediction: pred[i]!, correct: pred[i] === labels[i] ? 1 : 0 };
  }
  for (const s of m.series) {
    const row = rowKey(s.row);
    for (let i = 0; i < m.n; i++) yield { sample: i, row, label: labels[i]!, prediction: s.predicted[i]!, correct: s.correct[i] ? 1 : 0 };
  }
}

/** results.ts clfKey's inverse (variants and defenses are slugs without '/'). */
function splitKey(key: string): [string, string] {
  const at = key.indexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}
