// Thresholds and allowed drops checked against the run's settings before any work: a gate on an attack or an
// epsilon the audit will not evaluate could only fail later with a misleading "no result".
import type { Threshold } from '../engine/audit/junit';

export interface GateNames { attacks: string; epsilons: string }

/** null when every target is evaluated by a run with these attacks and epsilons, else why not. */
export function gateOutsideRun(gates: Threshold[], s: { attacks: readonly string[]; epsilons: readonly number[] }, names: GateNames): string | null {
  for (const t of gates) {
    if (t.target !== 'clean' && t.target !== 'worst' && !s.attacks.includes(t.target)) {
      return `${t.target} is not in ${names.attacks} (${s.attacks.join(', ')})`;
    }
    if (t.epsilon !== null && !s.epsilons.includes(t.epsilon)) {
      return `epsilon ${t.epsilon} of ${t.target}@${t.epsilon} is not in ${names.epsilons} (${s.epsilons.join(', ')})`;
    }
  }
  return null;
}
