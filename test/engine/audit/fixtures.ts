// Hand-made report rows for the criteria, flag and JUnit tests.
import { parseSettings } from '../../../src/engine/audit';
import { REPORT_SCHEMA_VERSION } from '../../../src/engine/audit';
import type { CleanRow, Report, Row, WorstCase } from '../../../src/engine/audit';
import { LOSS_OF } from '../../../src/engine/attacks/types';

export function row(variant: string, attack: Row['attack'], epsilon: number, accuracy: number, defense = 'none', adaptive = false): Row {
  return { attack, norm: 'linf', epsilon, variant, defense, adaptive, accuracy, samples: 100, correct: Math.round(accuracy * 100), loss: LOSS_OF[attack] };
}
export const clean = (variant: string, accuracy: number, defense = 'none'): CleanRow => ({ variant, defense, accuracy, samples: 100, correct: Math.round(accuracy * 100) });
export const worst = (variant: string, epsilon: number, accuracy: number, defense = 'none'): WorstCase =>
  ({ variant, defense, epsilon, accuracy, samples: 100, correct: Math.round(accuracy * 100), attacks: ['pgd'] });


/** A small report as mergeReport would write it (float + w4, one epsilon, one warning and one error flag). */
export function fakeReport(): Report {
  const settings = parseSettings({ epsilons: [0.3], bits: [4], attacks: ['fgsm', 'pgd'] });
  return {
    qaudit: '0.1.0', schemaVersion: REPORT_SCHEMA_VERSION, settings: { ...settings },
    model: { inputShape: [4, 4, 1], numClasses: 3, layers: [], parameters: 51, removedSoftmax: false, weights: [], bits: null },
    data: { name: 'synthetic <&>', samples: 100, total: 100, inputShape: [4, 4, 1] },
    variants: [{ name: 'float', bits: null, from: 'upload' }, { name: 'w4', bits: 4, from: 'quantize' }],
    clean: [clean('float', 0.99), clean('w4', 0.95)],
    rows: [row('float', 'fgsm', 0.3, 0.4), row('float', 'pgd', 0.3, 0.2), row('w4', 'fgsm', 0.3, 0.35), row('w4', 'pgd', 0.3, 0.45)],
    worstCase: [worst('float', 0.3, 0.2), worst('w4', 0.3, 0.3)],
    headline: [{ epsilon: 0.3, accuracy: 0.3, variant: 'w4', defense: 'none' }],
    criteria: { al: [], ql: [] },
    companions: { flipRate: [], logitError: [], amplification: [], layers: [] },
    flags: [
      { id: 'pgd_weaker_than_fgsm', severity: 'error', message: 'PGD "weak" < FGSM & co', explanation: 'x', variant: 'w4', attack: 'pgd', epsilon: 0.3 },
      { id: 'black_box_stronger', severity: 'warning', message: 'm', explanation: 'e', variant: 'w4' },
    ],
    notes: [],
    examples: null,
  };
}
