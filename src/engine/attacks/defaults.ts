// The documented attack defaults (MNIST, inputs in [0, 1]; METHOD.md) and their resolution from a spec.
import { EngineError } from '../errors';
import type { Attack, AttackName, AttackSpec } from './types';
import { Fgsm } from './fgsm';
import { Pgd } from './pgd';
import { Apgd } from './apgd';
import { Square } from './square';
import { Transfer } from './transfer';

/** Defaults per attack; `stepSize: undefined` for PGD means 0.01 at L-inf and eps/4 at L2. */
export const ATTACK_DEFAULTS = {
  fgsm: {},
  pgd: { steps: 40, stepSize: { linf: 0.01, l2: 'eps/4' }, restarts: 1, randomStart: true },
  apgd: { steps: 100, restarts: 1, rho: 0.75, momentum: 0.75, initialStep: '2*eps' },
  square: { queries: 1000, queriesThorough: 5000, pInit: 0.8 },
  transfer: { crafting: 'pgd', steps: 40, stepSize: { linf: 0.01, l2: 'eps/4' }, restarts: 1, randomStart: true },
} as const;

function positiveInt(v: number | undefined, fallback: number, field: string): number {
  const r = v ?? fallback;
  if (!Number.isInteger(r) || r < 1) throw new EngineError('invalid_argument', `expected ${field} to be an integer >= 1, got ${r}`, field);
  return r;
}

/** Builds the attack object for a spec, filling unset fields with ATTACK_DEFAULTS. */
export function makeAttack(spec: AttackSpec): Attack {
  if (spec.stepSize !== undefined && !(Number.isFinite(spec.stepSize) && spec.stepSize > 0)) {
    throw new EngineError('invalid_argument', `expected stepSize to be a finite number > 0, got ${spec.stepSize}`, 'stepSize');
  }
  const pgd = {
    steps: positiveInt(spec.steps, ATTACK_DEFAULTS.pgd.steps, 'steps'),
    stepSize: spec.stepSize,
    restarts: positiveInt(spec.restarts, 1, 'restarts'),
    randomStart: spec.randomStart ?? true,
  };
  const name: AttackName = spec.name;
  switch (name) {
    case 'fgsm':
      return new Fgsm();
    case 'pgd':
      return new Pgd(pgd);
    case 'transfer':
      return new Transfer(pgd);
    case 'apgd':
      return new Apgd({ steps: positiveInt(spec.steps, ATTACK_DEFAULTS.apgd.steps, 'steps'), restarts: pgd.restarts });
    case 'square': {
      const pInit = spec.pInit ?? ATTACK_DEFAULTS.square.pInit;
      if (!(pInit > 0 && pInit <= 1)) throw new EngineError('invalid_argument', `expected pInit in (0, 1], got ${pInit}`, 'pInit');
      return new Square({ queries: positiveInt(spec.queries, ATTACK_DEFAULTS.square.queries, 'queries'), pInit });
    }
    default:
      throw new EngineError('invalid_argument', `expected an attack name (fgsm, pgd, apgd, square, transfer), got ${String(name)}`, 'name');
  }
}
