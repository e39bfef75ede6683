// Every attack's defaults in one table, read from the attack files (each exports its own, as foolbox keeps them
// in the constructor), the resolution of a spec into an attack object, and the work an attack costs.
import { EngineError } from '../errors';
import type { Attack, AttackName, AttackSpec } from './types';
import { Fgsm } from './fgsm';
import { PGD_DEFAULTS, Pgd } from './pgd';
import { APGD_DEFAULTS, Apgd } from './apgd';
import { SQUARE_DEFAULTS, Square } from './square';
import { Transfer } from './transfer';
import { cwPgd } from './cw';
import { DIVA_DEFAULTS, Diva } from './diva';
import { HSJ_DEFAULTS, HopSkipJump } from './hsj';
import { ceLoss } from './losses';

/** Defaults per attack (MNIST, inputs in [0, 1]; METHOD.md). Transfer crafts with PGD and its defaults. */
export const ATTACK_DEFAULTS = {
  fgsm: { temperature: 1 },
  pgd: PGD_DEFAULTS,
  apgd: APGD_DEFAULTS,
  'apgd-dlr': APGD_DEFAULTS,
  'apgd-t': APGD_DEFAULTS,
  cw: PGD_DEFAULTS,
  square: SQUARE_DEFAULTS,
  transfer: PGD_DEFAULTS,
  diva: DIVA_DEFAULTS,
  hsj: HSJ_DEFAULTS,
} as const satisfies Record<AttackName, object>;

export const ATTACK_NAMES = Object.keys(ATTACK_DEFAULTS) as AttackName[];

function positiveInt(v: number | undefined, fallback: number, field: string): number {
  const r = v ?? fallback;
  if (!Number.isInteger(r) || r < 1) throw new EngineError('invalid_argument', `expected ${field} to be an integer >= 1, got ${r}`, field);
  return r;
}

function positive(v: number | undefined, fallback: number, field: string): number {
  const r = v ?? fallback;
  if (!(Number.isFinite(r) && r > 0)) throw new EngineError('invalid_argument', `expected ${field} to be a finite number > 0, got ${r}`, field);
  return r;
}

/** Builds the attack object for a spec, filling unset fields with ATTACK_DEFAULTS. */
export function makeAttack(spec: AttackSpec): Attack {
  if (spec.stepSize !== undefined) positive(spec.stepSize, 1, 'stepSize');
  const temperature = positive(spec.temperature, PGD_DEFAULTS.temperature, 'temperature');
  const pgd = {
    steps: positiveInt(spec.steps, PGD_DEFAULTS.steps, 'steps'),
    stepSize: spec.stepSize,
    restarts: positiveInt(spec.restarts, PGD_DEFAULTS.restarts, 'restarts'),
    randomStart: spec.randomStart ?? PGD_DEFAULTS.randomStart,
  };
  const name: AttackName = spec.name;
  switch (name) {
    case 'fgsm':
      return new Fgsm(ceLoss(temperature));
    case 'pgd':
      return new Pgd({ ...pgd, loss: ceLoss(temperature) });
    case 'transfer':
      return new Transfer({ ...pgd, loss: ceLoss(temperature) });
    case 'cw':
      return cwPgd(pgd);
    case 'diva':
      return new Diva({ ...pgd, c: positive(spec.c, DIVA_DEFAULTS.c, 'c') });
    case 'hsj':
      return new HopSkipJump({ queries: positiveInt(spec.queries, HSJ_DEFAULTS.queries, 'queries') });
    case 'apgd':
    case 'apgd-dlr':
    case 'apgd-t':
      return new Apgd({
        steps: positiveInt(spec.steps, APGD_DEFAULTS.steps, 'steps'),
        restarts: positiveInt(spec.restarts, APGD_DEFAULTS.restarts, 'restarts'),
        targets: positiveInt(spec.targets, APGD_DEFAULTS.targets, 'targets'),
        temperature,
      }, name);
    case 'square': {
      const pInit = spec.pInit ?? SQUARE_DEFAULTS.pInit;
      if (!(pInit > 0 && pInit <= 1)) throw new EngineError('invalid_argument', `expected pInit in (0, 1], got ${pInit}`, 'pInit');
      return new Square({ queries: positiveInt(spec.queries, SQUARE_DEFAULTS.queries, 'queries'), pInit });
    }
    default:
      throw new EngineError('invalid_argument', `expected an attack name (${ATTACK_NAMES.join(', ')}), got ${String(name)}`, 'name');
  }
}

/**
 * Model evaluations (gradients or queries) one attack costs per sample and epsilon, at most: the work-limit
 * estimate of the service. Reads the same defaults as makeAttack, so the two cannot drift apart.
 */
export function attackWork(spec: Pick<AttackSpec, 'name' | 'steps' | 'restarts' | 'queries' | 'targets'>, numClasses: number): number {
  const restarts = spec.restarts ?? PGD_DEFAULTS.restarts;
  switch (spec.name) {
    case 'fgsm': return 1;
    case 'pgd':
    case 'cw':
    case 'transfer': return (spec.steps ?? PGD_DEFAULTS.steps) * restarts;
    // Two models per step: the twin and the float model it must keep correct.
    case 'diva': return 2 * (spec.steps ?? DIVA_DEFAULTS.steps) * restarts;
    case 'apgd':
    case 'apgd-dlr': return (spec.steps ?? APGD_DEFAULTS.steps) * restarts;
    case 'apgd-t': return (spec.steps ?? APGD_DEFAULTS.steps) * restarts * Math.min(spec.targets ?? APGD_DEFAULTS.targets, numClasses - 1);
    case 'square': return spec.queries ?? SQUARE_DEFAULTS.queries;
    case 'hsj': return spec.queries ?? HSJ_DEFAULTS.queries;
  }
}
