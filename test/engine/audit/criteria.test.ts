import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../../src/engine/audit';
import { criteria, headline } from '../../../src/engine/audit/criteria';
import { mean, percentile } from '../../../src/engine/audit/companions';
import { clean, row, worst } from './fixtures';

describe('criteria', () => {
  const cl = [clean('float', 0.99), clean('w4', 0.97), clean('w2', 0.8)];
  const rows = [row('float', 'pgd', 0.3, 0.6), row('w4', 'pgd', 0.3, 0.5), row('w2', 'pgd', 0.3, 0.1), row('w2', 'transfer', 0.3, 0.7)];
  const wc = [worst('float', 0.3, 0.55), worst('w2', 0.3, 0.05)];
  // The paired worst case (merge: over the attacks both variants have): w2 against float over pgd only.
  const paired = [{ variant: 'w2', defense: 'none', epsilon: 0.3, reference: 0.6, accuracy: 0.1, attacks: ['pgd'] }];
  const { al, ql } = criteria('float', cl, rows, wc, paired);

  it('AL = clean accuracy - attacked accuracy of the same model', () => {
    expect(al.find((a) => a.variant === 'w2' && a.attack === 'pgd')!.value).toBe(0.7);
    expect(al.find((a) => a.variant === 'float' && a.attack === 'pgd')!.value).toBe(0.39);
    expect(al.find((a) => a.variant === 'w2' && a.attack === 'worst')!.value).toBe(0.75);
  });

  it('QL = reference accuracy - quantized accuracy under the same attack, clean included', () => {
    expect(ql.map((q) => [q.variant, q.attack, q.value])).toEqual([
      ['w4', 'clean', 0.02], ['w2', 'clean', 0.19],
      ['w4', 'pgd', 0.1], ['w2', 'pgd', 0.5],
      ['w2', 'worst', 0.5],
    ]);
    // No QL for transfer: the reference is the source and has no transfer row; the worst case pairs like with like.
    expect(ql.every((q) => q.reference === 'float')).toBe(true);
    expect(ql.find((q) => q.attack === 'worst')!.attacks).toEqual(['pgd']);
  });

  it('headline: the lowest worst case over the quantized variants behind the deployed defense', () => {
    const s = parseSettings({ epsilons: [0.3] });
    const variants = [{ name: 'float', bits: null, from: 'upload' as const }, { name: 'w4', bits: 4, from: 'quantize' as const }];
    const wcs = [worst('float', 0.3, 0.1), worst('w4', 0.3, 0.4)];
    expect(headline(s, variants, wcs)).toEqual([{ epsilon: 0.3, accuracy: 0.4, variant: 'w4', defense: 'none' }]);
    const d = parseSettings({ epsilons: [0.3], defense: { mapping: 'sine' } });
    expect(headline(d, variants, [...wcs, worst('w4', 0.3, 0.3, 'sine')])[0]).toMatchObject({ accuracy: 0.3, defense: 'sine' });
  });

  it('statistics: mean and nearest-rank p95', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i + 1);
    expect([mean(xs), percentile(xs, 0.95), percentile([5], 0.95), mean([])]).toEqual([10.5, 19, 5, null]);
  });
});
