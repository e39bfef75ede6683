import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../../src/engine/audit';
import type { Row } from '../../../src/engine/audit';
import { blackBoxFlags, epsilonFlags, marginFlags, maskingFlags, pgdFlags, probabilityFlags, probeFlags, vanishingGradientFlags } from '../../../src/engine/audit/flags';
import type { Merged } from '../../../src/engine/audit/merged';
import { row } from './fixtures';

/** Healthy rows: accuracy falls with epsilon, PGD <= FGSM, black-box weaker than white-box. */
const healthy: Row[] = [
  row('w4', 'fgsm', 0.1, 0.6), row('w4', 'fgsm', 0.3, 0.2),
  row('w4', 'pgd', 0.1, 0.5), row('w4', 'pgd', 0.3, 0.05),
  row('w4', 'square', 0.1, 0.7), row('w4', 'square', 0.3, 0.3),
  row('w4', 'pgd', 0.3, 0.1, 'sine', false), row('w4', 'pgd', 0.3, 0.05, 'sine', true), row('w4', 'square', 0.3, 0.3, 'sine'),
];
const ids = (fs: { id: string }[]) => fs.map((f) => f.id);

type Probe = { defense: string; adaptive: boolean; correct: number; zero: number; variant?: string; norm?: number };
function merged(parts: { probability?: (0 | 1)[]; sanity?: Probe[] }): Merged {
  return {
    settings: parseSettings({}), reference: 'float', variants: ['float'], n: 16, series: [], attacks: [],
    clean: { kind: 'clean', id: 'clean', start: 0, end: 16, labels: [], predicted: {}, logitError: {}, probability: parts.probability ?? [] },
    sanity: (parts.sanity ?? []).map((s) => ({
      chunk: { id: 's', kind: 'sanity' as const, variant: s.variant ?? 'float', defense: s.defense, adaptive: s.adaptive, start: 0, end: 16 },
      result: { kind: 'sanity' as const, id: 's', start: 0, end: 16, largeEpsilon: 1, largeEpsilonCorrect: s.correct, zeroGradient: s.zero, gradientNorm: s.norm },
    })),
    layers: { kind: 'layers', id: 'layers', layers: [] },
  };
}

describe('sanity flags', () => {
  it('stay quiet on a healthy evaluation', () => {
    expect([...epsilonFlags(healthy), ...pgdFlags(healthy), ...blackBoxFlags(healthy), ...maskingFlags(healthy)]).toEqual([]);
    const m = merged({ probability: Array(16).fill(0), sanity: [{ defense: 'none', adaptive: false, correct: 0, zero: 0 }] });
    expect([...probeFlags(m), ...probabilityFlags(m)]).toEqual([]);
  });

  it('accuracy rising with epsilon', () => {
    const f = epsilonFlags([row('w4', 'pgd', 0.1, 0.3), row('w4', 'pgd', 0.3, 0.5)]);
    expect(f.map((x) => [x.id, x.severity, x.epsilon])).toEqual([['accuracy_rises_with_epsilon', 'warning', 0.3]]);
    // Within the tolerance of 0.02, random starts may do this.
    expect(epsilonFlags([row('w4', 'pgd', 0.1, 0.3), row('w4', 'pgd', 0.3, 0.31)])).toEqual([]);
  });

  it('PGD weaker than FGSM: an error undefended, a warning through a plain defense', () => {
    expect(pgdFlags([row('w4', 'fgsm', 0.3, 0.1), row('w4', 'pgd', 0.3, 0.4)]).map((f) => f.severity)).toEqual(['error']);
    expect(pgdFlags([row('w4', 'fgsm', 0.3, 0.1, 'sine'), row('w4', 'pgd', 0.3, 0.4, 'sine')]).map((f) => f.severity)).toEqual(['warning']);
  });

  it('a black-box attack stronger than the white-box ones', () => {
    const f = blackBoxFlags([row('w4', 'pgd', 0.3, 0.5), row('w4', 'fgsm', 0.3, 0.6), row('w4', 'transfer', 0.3, 0.2)]);
    expect(f.map((x) => [x.id, x.attack])).toEqual([['black_box_stronger', 'transfer']]);
  });

  it('plain attack through the defense much weaker than the adaptive or black-box one', () => {
    const f = maskingFlags([row('w4', 'pgd', 0.3, 0.9, 'staircase'), row('w4', 'pgd', 0.3, 0.05, 'staircase', true)]);
    expect(ids(f)).toEqual(['defense_masks_gradients']);
    expect(ids(maskingFlags([row('w4', 'fgsm', 0.3, 0.9, 'staircase'), row('w4', 'square', 0.3, 0.4, 'staircase')]))).toEqual(['defense_masks_gradients']);
  });

  it('accuracy not near zero at a very large epsilon, and zero gradients', () => {
    const m = merged({ sanity: [
      { defense: 'none', adaptive: false, correct: 8, zero: 0 },
      { defense: 'none', adaptive: false, correct: 0, zero: 16 },
      { defense: 'random', adaptive: false, correct: 16, zero: 16 },
    ] });
    expect(probeFlags(m).map((f) => [f.id, f.severity])).toEqual([
      ['large_epsilon_not_zero', 'error'], ['zero_gradients', 'error'],
      ['large_epsilon_not_zero', 'warning'], ['zero_gradients', 'warning'],
    ]);
  });

  it('quantization-aware masking: a twin\'s gradients 100x below the float\'s, or a margin loss far ahead of CE', () => {
    const probe = (variant: string, norm: number): Probe => ({ variant, norm, defense: 'none', adaptive: false, correct: 0, zero: 0 });
    const f = vanishingGradientFlags(merged({ sanity: [probe('float', 2), probe('w4', 0.5), probe('w1', 0.01)] }));
    expect(f.map((x) => [x.id, x.variant, x.severity])).toEqual([['twin_gradients_vanish', 'w1', 'warning']]);
    const rows = [row('w1', 'pgd', 0.1, 0.6), row('w1', 'apgd', 0.1, 0.55), row('w1', 'cw', 0.1, 0.3), row('w1', 'apgd-dlr', 0.1, 0.5)];
    expect(marginFlags(rows).map((x) => [x.id, x.attack])).toEqual([['margin_beats_cross_entropy', 'cw']]);
    expect(marginFlags(healthy)).toEqual([]);
  });

  it('outputs that look like probabilities', () => {
    expect(ids(probabilityFlags(merged({ probability: Array(16).fill(1) })))).toEqual(['outputs_look_like_probabilities']);
  });
});
