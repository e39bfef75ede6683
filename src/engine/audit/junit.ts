// JUnit XML for CI and the --fail-under thresholds: "pgd@0.3=0.5,fgsm@0.1=0.8,worst@0.3=0.4,clean=0.95".
// A threshold applies to the deployed configurations (criteria.ts `covered`): all must reach it.
import { EngineError } from '../errors';
import { covered } from './criteria';
import type { Report } from './report';
import { ATTACKS } from './settings';
import type { AuditSettings } from './settings';

export type ThresholdTarget = (typeof ATTACKS)[number] | 'worst' | 'clean';
export interface Threshold {
  target: ThresholdTarget;
  /** null for 'clean'. */
  epsilon: number | null;
  /** Minimum accuracy, a fraction in [0, 1]. */
  min: number;
}
export interface ThresholdFailure {
  threshold: Threshold;
  /** Lowest covered accuracy, null when nothing was evaluated for it. */
  actual: number | null;
  message: string;
}

const TARGETS: readonly string[] = [...ATTACKS, 'worst', 'clean'];
const FORM = 'ATTACK@EPSILON=ACCURACY or clean=ACCURACY (e.g. pgd@0.3=0.5), ATTACK one of ' + TARGETS.join(', ');

export function parseThresholds(text: string): Threshold[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '').map((item) => {
    const m = /^([a-z]+)(?:@([^=]+))?=(.+)$/.exec(item);
    const bad = (why: string) => new EngineError('invalid_argument', `expected ${FORM}; ${why}, got '${item}'`, 'thresholds');
    if (!m) throw bad('malformed threshold');
    const [, target, eps, acc] = m;
    if (!TARGETS.includes(target!)) throw bad(`unknown attack '${target}'`);
    if (target === 'clean' && eps !== undefined) throw bad('clean takes no epsilon');
    if (target !== 'clean' && eps === undefined) throw bad(`${target} needs an epsilon`);
    const epsilon = eps === undefined ? null : Number(eps);
    if (epsilon !== null && !(Number.isFinite(epsilon) && epsilon > 0)) throw bad('epsilon must be a positive number');
    const min = Number(acc);
    if (!(Number.isFinite(min) && min >= 0 && min <= 1)) throw bad('accuracy must be a fraction in [0, 1]');
    return { target: target as ThresholdTarget, epsilon, min };
  });
}

/** The accuracies a threshold ranges over, each with a label. */
export function candidates(report: Report, t: Threshold): { label: string; accuracy: number }[] {
  const cov = covered(report.settings as AuditSettings, report.variants);
  const ok = (v: string, d: string) => cov.variants.has(v) && d === cov.defense;
  if (t.target === 'clean') return report.clean.filter((c) => ok(c.variant, c.defense)).map((c) => ({ label: `clean ${c.variant}`, accuracy: c.accuracy }));
  if (t.target === 'worst') {
    return report.worstCase.filter((w) => ok(w.variant, w.defense) && w.epsilon === t.epsilon).map((w) => ({ label: `worst ${w.variant}`, accuracy: w.accuracy }));
  }
  return report.rows.filter((r) => ok(r.variant, r.defense) && r.attack === t.target && r.epsilon === t.epsilon)
    .map((r) => ({ label: `${r.attack}${r.adaptive ? '+bpda' : ''} ${r.variant}`, accuracy: r.accuracy }));
}

export function describeThreshold(t: Threshold): string {
  return t.epsilon === null ? `${t.target}=${t.min}` : `${t.target}@${t.epsilon}=${t.min}`;
}

export function checkThresholds(report: Report, thresholds: Threshold[]): { passed: boolean; failures: ThresholdFailure[] } {
  const failures: ThresholdFailure[] = [];
  for (const t of thresholds) {
    const cs = candidates(report, t);
    if (cs.length === 0) {
      failures.push({ threshold: t, actual: null, message: `${describeThreshold(t)}: no result for ${t.target}${t.epsilon === null ? '' : ` at epsilon ${t.epsilon}`} (evaluated epsilons: ${report.rows.length ? [...new Set(report.rows.map((r) => r.epsilon))].join(', ') : 'none'})` });
      continue;
    }
    const low = cs.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    if (low.accuracy < t.min) failures.push({ threshold: t, actual: low.accuracy, message: `${describeThreshold(t)}: ${low.label} has accuracy ${low.accuracy}, below ${t.min}` });
  }
  return { passed: failures.length === 0, failures };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

interface Case { name: string; classname: string; failure?: string; out?: string }

function caseXml(c: Case): string {
  const open = `    <testcase name="${esc(c.name)}" classname="${esc(c.classname)}"`;
  if (!c.failure && !c.out) return `${open}/>`;
  const body = [c.failure ? `      <failure message="${esc(c.failure)}">${esc(c.failure)}</failure>` : '', c.out ? `      <system-out>${esc(c.out)}</system-out>` : ''];
  return [`${open}>`, ...body.filter(Boolean), '    </testcase>'].join('\n');
}

function suiteXml(name: string, cases: Case[]): string {
  const failures = cases.filter((c) => c.failure).length;
  return [`  <testsuite name="${esc(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">`, ...cases.map(caseXml), '  </testsuite>'].join('\n');
}

/** One testsuite per variant (a testcase per clean, attack and worst-case row) and one for the sanity flags. */
export function renderJunit(report: Report, thresholds: Threshold[] = []): string {
  const cov = covered(report.settings as AuditSettings, report.variants);
  const miss = (v: string, d: string, match: (t: Threshold) => boolean, acc: number) =>
    cov.variants.has(v) && d === cov.defense ? thresholds.filter((t) => match(t) && acc < t.min).map((t) => `accuracy ${acc} below ${describeThreshold(t)}`).join('; ') : '';
  const suites = report.variants.map((v) => {
    const cls = `qaudit.${v.name}`;
    const cases: Case[] = [
      ...report.clean.filter((c) => c.variant === v.name).map((c) => ({
        name: `clean defense=${c.defense}`, classname: cls, out: `accuracy ${c.accuracy} (${c.correct}/${c.samples})`,
        failure: miss(c.variant, c.defense, (t) => t.target === 'clean', c.accuracy) })),
      ...report.rows.filter((r) => r.variant === v.name).map((r) => ({
        name: `${r.attack} ${r.norm} eps=${r.epsilon} defense=${r.defense}${r.adaptive ? ' adaptive' : ''}`, classname: cls,
        out: `accuracy ${r.accuracy} (${r.correct}/${r.samples})`,
        failure: miss(r.variant, r.defense, (t) => t.target === r.attack && t.epsilon === r.epsilon, r.accuracy) })),
      ...report.worstCase.filter((w) => w.variant === v.name).map((w) => ({
        name: `worst eps=${w.epsilon} defense=${w.defense}`, classname: cls, out: `accuracy ${w.accuracy} (${w.correct}/${w.samples})`,
        failure: miss(w.variant, w.defense, (t) => t.target === 'worst' && t.epsilon === w.epsilon, w.accuracy) })),
    ];
    return suiteXml(v.name, cases);
  });
  const flags: Case[] = report.flags.map((f) => ({
    name: `${f.id}${f.variant ? ` ${f.variant}` : ''}${f.attack ? ` ${f.attack}` : ''}${f.epsilon !== undefined ? ` eps=${f.epsilon}` : ''}${f.defense && f.defense !== 'none' ? ` defense=${f.defense}${f.adaptive ? ' adaptive' : ''}` : ''}`,
    classname: 'qaudit.sanity', failure: f.severity === 'error' ? f.message : undefined, out: `${f.severity}: ${f.message}. ${f.explanation}`,
  }));
  // Thresholds that matched no row at all fail too, so a typo in --fail-under cannot pass silently.
  const unmatched: Case[] = checkThresholds(report, thresholds).failures.filter((f) => f.actual === null)
    .map((f) => ({ name: `threshold ${describeThreshold(f.threshold)}`, classname: 'qaudit.thresholds', failure: f.message }));
  const all = [...suites, suiteXml('sanity', flags.length ? flags : [{ name: 'sanity checks', classname: 'qaudit.sanity' }])];
  if (unmatched.length) all.push(suiteXml('thresholds', unmatched));
  const total = report.clean.length + report.rows.length + report.worstCase.length + Math.max(1, flags.length) + unmatched.length;
  const failed = (all.join('\n').match(/<failure /g) ?? []).length;
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="qaudit" tests="${total}" failures="${failed}">`, ...all, '</testsuites>', ''].join('\n');
}
