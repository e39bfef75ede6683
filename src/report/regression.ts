// Regression gates: robustness of this report against a baseline's, per --max-drop item ("pgd@0.1=0.02").
import { candidates, describeThreshold, parseThresholds } from '../engine/audit/junit';
import type { Threshold } from '../engine/audit/junit';
import type { Report } from '../engine/audit/report';
import { EngineError } from '../engine/errors';
import { pctOr } from '../engine/format';

/** One allowed drop: the target and epsilon of a threshold, `min` read as the most accuracy it may lose. */
export type MaxDrop = Threshold;

export interface Delta {
  /** e.g. pgd@0.1 */
  key: string;
  baseline: number | null;
  current: number | null;
  /** current - baseline (negative: robustness fell); null when either side has no result. */
  delta: number | null;
  allowed: number;
  passed: boolean;
  /** Why it failed, as one line. */
  message?: string;
}

/** Same grammar as --fail-under, the value being a drop in accuracy (a fraction in [0, 1]). */
export function parseMaxDrop(text: string): MaxDrop[] {
  try {
    return parseThresholds(text);
  } catch (e) {
    throw new EngineError('invalid_argument', `--max-drop: ${(e as Error).message.replace('=ACCURACY', '=DROP').replace('accuracy must', 'the drop must')}`, 'max-drop');
  }
}

const keyOf = (d: MaxDrop) => describeThreshold({ ...d, min: 0 }).replace(/=0$/, '');
const lowest = (r: Report, d: MaxDrop) => {
  const cs = candidates(r, d);
  return cs.length === 0 ? null : Math.min(...cs.map((c) => c.accuracy));
};
const round = (x: number) => Math.round(x * 1e12) / 1e12;

/**
 * Compares the lowest covered accuracy (the same configurations as --fail-under) of both reports; a target the
 * current report lacks fails, so a renamed attack cannot pass silently, and one the baseline lacks fails too.
 */
export function compareReports(current: Report, baseline: Report, drops: MaxDrop[]): { passed: boolean; deltas: Delta[] } {
  const deltas = drops.map((d): Delta => {
    const key = keyOf(d), b = lowest(baseline, d), c = lowest(current, d);
    if (b === null || c === null) {
      return { key, baseline: b, current: c, delta: null, allowed: d.min, passed: false, message: `${key}: no result in the ${b === null ? 'baseline' : 'current'} report` };
    }
    const delta = round(c - b);
    const passed = -delta <= d.min + 1e-12;
    return { key, baseline: b, current: c, delta, allowed: d.min, passed, ...(passed ? {} : { message: `${key}: accuracy fell by ${round(-delta)} (${b} -> ${c}), more than the allowed ${d.min}` }) };
  });
  return { passed: deltas.every((d) => d.passed), deltas };
}

const pct = (x: number | null | undefined) => pctOr(x, '-');
const pts = (x: number | null) => (x === null ? '-' : `${x > 0 ? '+' : ''}${(100 * x).toFixed(1)}`);

/** The table the CLI prints (points = percentage points). */
export function formatDeltas(deltas: Delta[]): string {
  const head = ['target', 'baseline', 'current', 'delta (pts)', 'allowed drop', ''];
  const rows = deltas.map((d) => [d.key, pct(d.baseline), pct(d.current), pts(d.delta), (100 * d.allowed).toFixed(1), d.passed ? 'ok' : 'FAIL']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
