// The two losses of METHOD.md: adversarial loss AL = acc(clean) - acc(attack) per model, and quantization
// loss QL = acc(reference) - acc(quantized) for the same attack, epsilon and defense; plus the headline.
import type { VariantInfo } from './plan';
import type { AlRow, CleanRow, QlRow, Report, Row, WorstCase } from './report';
import type { AuditSettings } from './settings';
import type { PairedWorst } from './series';

/** Rounds away float noise of a difference of fractions (e.g. 0.9 - 0.7) so that tables read cleanly. */
const diff = (a: number, b: number) => Math.round((a - b) * 1e12) / 1e12;

export function criteria(reference: string, clean: CleanRow[], rows: Row[], worst: WorstCase[], paired: PairedWorst[]): Report['criteria'] {
  const cleanOf = (variant: string, defense: string) => clean.find((c) => c.variant === variant && c.defense === defense)?.accuracy;
  const al: AlRow[] = [];
  for (const r of rows) {
    const c = cleanOf(r.variant, r.defense);
    if (c !== undefined) al.push({ variant: r.variant, defense: r.defense, adaptive: r.adaptive, attack: r.attack, epsilon: r.epsilon, value: diff(c, r.accuracy) });
  }
  for (const w of worst) {
    const c = cleanOf(w.variant, w.defense);
    if (c !== undefined) al.push({ variant: w.variant, defense: w.defense, adaptive: w.defense !== 'none', attack: 'worst', epsilon: w.epsilon, value: diff(c, w.accuracy) });
  }
  const ql: QlRow[] = [];
  const qlRow = (q: Omit<QlRow, 'reference' | 'value'>, refAcc: number, acc: number) => ql.push({ ...q, reference, value: diff(refAcc, acc) });
  for (const c of clean) {
    const ref = cleanOf(reference, c.defense);
    if (c.variant !== reference && ref !== undefined) qlRow({ variant: c.variant, defense: c.defense, adaptive: false, attack: 'clean', epsilon: 0 }, ref, c.accuracy);
  }
  for (const r of rows) {
    const ref = rows.find((o) => o.variant === reference && o.attack === r.attack && o.epsilon === r.epsilon && o.defense === r.defense && o.adaptive === r.adaptive);
    if (r.variant !== reference && ref) qlRow({ variant: r.variant, defense: r.defense, adaptive: r.adaptive, attack: r.attack, epsilon: r.epsilon }, ref.accuracy, r.accuracy);
  }
  // Like with like: both worst cases over the attacks both variants have (the reference has no DIVA row, and
  // no transfer row when it is the transfer source).
  for (const p of paired) {
    ql.push({ variant: p.variant, defense: p.defense, adaptive: p.defense !== 'none', attack: 'worst', epsilon: p.epsilon, reference, value: diff(p.reference, p.accuracy), attacks: p.attacks });
  }
  return { al, ql };
}

/**
 * The deployed configurations that the headline and --fail-under thresholds cover: the quantized variants
 * ('original' and the twins; the float upload only when it has no twins), behind the defense when one is set.
 */
export function covered(settings: AuditSettings, variants: readonly Pick<VariantInfo, 'name' | 'bits'>[]) {
  const quantized = variants.filter((v) => v.bits !== null).map((v) => v.name);
  const names = quantized.length > 0 ? quantized : variants.map((v) => v.name);
  const defense = settings.defense === 'none' ? 'none' : settings.defense.mapping;
  return { variants: new Set(names), defense };
}

/** Per epsilon, the lowest worst-case accuracy over the covered configurations. */
export function headline(settings: AuditSettings, variants: VariantInfo[], worst: WorstCase[]): Report['headline'] {
  const cov = covered(settings, variants);
  return settings.epsilons.flatMap((epsilon) => {
    const ws = worst.filter((w) => w.epsilon === epsilon && cov.variants.has(w.variant) && w.defense === cov.defense);
    if (ws.length === 0) return [];
    const min = ws.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    return [{ epsilon, accuracy: min.accuracy, variant: min.variant, defense: min.defense }];
  });
}
