// Per-sample series of the report's rows, in global sample order, under the AutoAttack / RobustBench convention:
// a sample is robust in a row only if it is correct on the clean input and after the attack. The worst cases
// (per variant, and for QL over the attacks the reference and the twin share) are ANDs of these series.
import { LOSS_OF } from '../attacks/types';
import { transferSource, guardTag, planGuards } from './plan';
import type { AttackChunk, Chunk, PlanInput } from './plan';
import { clfKey } from './results';
import type { AttackResult, CleanResult, TransferResult } from './results';
import type { Row, WorstCase } from './report';
import type { AuditSettings } from './settings';
import { expect } from '../errors';
import { HSJ_DEFAULTS } from '../attacks/hsj';

/** Per-sample series of one row, in sample order (the row carries DIVA's and HopSkipJump's own numbers). */
export interface Series {
  row: Omit<Row, 'accuracy' | 'samples' | 'correct'>;
  correct: number[];
  /** The row's classifier's prediction on the row's adversarial input, per sample. */
  predicted: number[];
}

type Transfers = { chunk: Extract<Chunk, { kind: 'transfer' }>; result: TransferResult }[];

/** Sorts chunk results by start and checks that they tile [0, n) exactly. */
export function tile<T extends { start: number; end: number; id: string }>(parts: T[], n: number, what: string): T[] {
  const sorted = [...parts].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const p of sorted) {
    expect(p.start === at, 'invalid_argument', `expected ${what} results covering samples from ${at}, got ${p.id}`);
    at = p.end;
  }
  expect(at === n, 'invalid_argument', `expected ${what} results up to sample ${n}, got up to ${at}`);
  return sorted;
}

export function lossName(s: AuditSettings, attack: Row['attack']): string {
  const loss = LOSS_OF[attack];
  return loss === 'ce' && s.temperature !== 1 ? `ce/T=${s.temperature}` : loss;
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length === 0 ? 0 : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

export function buildSeries(
  settings: AuditSettings, input: PlanInput, variants: string[], n: number, clean: CleanResult,
  attacks: { chunk: AttackChunk; result: AttackResult }[], transfers: Transfers,
): Series[] {
  const source = transferSource(input);
  const out: Series[] = [];
  // The clean-correct mask of a classifier: every row of it is ANDed with it.
  const ok = (variant: string, defense: string) => (clean.predicted[clfKey(variant, defense)] ?? []).map((p, i) => (p === clean.labels[i] ? 1 : 0));
  for (const variant of variants) {
    for (const g of planGuards(settings)) {
      const mask = ok(variant, g.defense);
      const and = (c: number[]) => c.map((v, i) => (v && mask[i] ? 1 : 0));
      for (const attack of settings.attacks) {
        for (const epsilon of settings.epsilons) {
          const row: Series['row'] = { attack, norm: settings.norm, epsilon, variant, defense: g.defense, adaptive: g.adaptive, loss: lossName(settings, attack) };
          if (attack === 'transfer') {
            const key = clfKey(variant, g.defense);
            const parts = transfers.filter((t) => t.chunk.epsilon === epsilon && t.result.correct[key]);
            if (g.adaptive || parts.length === 0 || !source) continue;
            const sorted = tile(parts.map((p) => ({ ...p.result, correct: p.result.correct[key]!, predicted: p.result.predicted[key]! })), n, `transfer ${key} @${epsilon}`);
            out.push({ row: { ...row, source }, correct: and(sorted.flatMap((p) => p.correct)), predicted: sorted.flatMap((p) => p.predicted) });
            continue;
          }
          const parts = attacks.filter((a) => a.chunk.attack === attack && a.chunk.variant === variant && a.chunk.epsilon === epsilon
            && a.chunk.defense === g.defense && a.chunk.adaptive === g.adaptive);
          if (parts.length === 0) continue;
          const sorted = tile(parts.map((p) => p.result), n, `${attack}:${variant}:${guardTag(g)}:${epsilon}`);
          out.push({ row: { ...row, ...extras(settings, sorted, clean.labels) }, correct: and(sorted.flatMap((p) => p.correct)), predicted: sorted.flatMap((p) => p.predicted) });
        }
      }
    }
  }
  return out;
}

/** DIVA: twin wrong and reference right on the adversarial; HopSkipJump: queries used against the budget. */
function extras(s: AuditSettings, parts: AttackResult[], labels: number[]): Pick<Row, 'divergence' | 'queries'> {
  const out: Pick<Row, 'divergence' | 'queries'> = {};
  if (parts.every((p) => p.reference)) {
    const ref = parts.flatMap((p) => p.reference!);
    const pred = parts.flatMap((p) => p.predicted);
    out.divergence = ref.filter((r, i) => r === labels[i] && pred[i] !== labels[i]).length / ref.length;
  }
  if (parts.every((p) => p.queries)) {
    const q = parts.flatMap((p) => p.queries!);
    // Only HopSkipJump reports queries per sample (Square's budget is a setting, its use is not recorded).
    const budget = s.queries ?? HSJ_DEFAULTS.queries;
    out.queries = { budget, mean: q.reduce((a, b) => a + b, 0) / q.length, median: median(q), max: Math.max(...q) };
  }
  return out;
}

const tag = (r: Series['row']) => (r.adaptive ? `${r.attack}+bpda` : r.attack);

/** Samples correct under every given series. */
function allCorrect(ss: Series[], n: number): number {
  return Array.from({ length: n }, (_, i) => (ss.every((s) => s.correct[i] === 1) ? 1 : 0)).reduce((a: number, b) => a + b, 0);
}

export function worstCases(settings: AuditSettings, variants: string[], series: Series[], n: number): WorstCase[] {
  const out: WorstCase[] = [];
  for (const variant of variants) {
    for (const defense of [...new Set(planGuards(settings).map((g) => g.defense))]) {
      for (const epsilon of settings.epsilons) {
        const ss = series.filter((s) => s.row.variant === variant && s.row.defense === defense && s.row.epsilon === epsilon);
        if (ss.length === 0) continue;
        const correct = allCorrect(ss, n);
        out.push({ variant, defense, epsilon, accuracy: correct / n, samples: n, correct, attacks: ss.map((s) => tag(s.row)) });
      }
    }
  }
  return out;
}

/** QL's worst case: reference and twin each over the attacks both have (same set on both sides). */
export interface PairedWorst { variant: string; defense: string; epsilon: number; reference: number; accuracy: number; attacks: string[] }

export function pairedWorst(settings: AuditSettings, reference: string, variants: string[], series: Series[], n: number): PairedWorst[] {
  const out: PairedWorst[] = [];
  const of = (v: string, defense: string, epsilon: number) => series.filter((s) => s.row.variant === v && s.row.defense === defense && s.row.epsilon === epsilon);
  for (const variant of variants.filter((v) => v !== reference)) {
    for (const defense of [...new Set(planGuards(settings).map((g) => g.defense))]) {
      for (const epsilon of settings.epsilons) {
        const ref = of(reference, defense, epsilon);
        const mine = of(variant, defense, epsilon);
        const common = ref.map((s) => tag(s.row)).filter((t) => mine.some((s) => tag(s.row) === t));
        if (common.length === 0) continue;
        const pick = (ss: Series[]) => ss.filter((s) => common.includes(tag(s.row)));
        out.push({ variant, defense, epsilon, reference: allCorrect(pick(ref), n) / n, accuracy: allCorrect(pick(mine), n) / n, attacks: common });
      }
    }
  }
  return out;
}
