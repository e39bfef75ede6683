// Thresholds and allowed drops checked against the run's settings before any work: a gate on an attack or an
// epsilon the audit will not evaluate could only fail later with a misleading "no result".
import type { AuditOutcome } from '../attest/test-result';
import { checkThresholds, describeThreshold, type Threshold } from '../engine/audit/junit';
import type { Report } from '../engine/audit/report';

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

/** The report's tests for the in-toto test-result predicate: each threshold, and each sanity flag, by a stable name. */
export function auditOutcome(report: Report, thresholds: Threshold[]): AuditOutcome {
  const failures = checkThresholds(report, thresholds).failures;
  return {
    thresholds: thresholds.map((t) => ({ name: `threshold ${describeThreshold(t)}`, passed: !failures.some((f) => f.threshold === t) })),
    flags: report.flags.map((f) => ({
      name: ['sanity', f.id, f.variant, f.attack, f.epsilon === undefined ? undefined : `eps=${f.epsilon}`, f.defense && f.defense !== 'none' ? `defense=${f.defense}${f.adaptive ? ' adaptive' : ''}` : undefined].filter(Boolean).join(' '),
      severity: f.severity,
    })),
  };
}
