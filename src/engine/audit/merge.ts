// Merges chunk results into the report. Per-sample arrays are concatenated in global sample order first and
// every number is computed once from them, so any chunking gives the report of a single pass, number for number.
import { EngineError, expect } from '../errors';
import type { ModelSummary } from '../model/types';
import { exampleSource, guardTag, planGuards, planVariants, transferSource } from './plan';
import type { AttackChunk, Chunk, PlanInput } from './plan';
import { clfKey } from './results';
import type { AttackResult, ChunkResult, CleanResult, TransferResult } from './results';
import { QAUDIT_VERSION, REPORT_SCHEMA_VERSION } from './report';
import type { CleanRow, Report, Row } from './report';
import type { AuditSettings } from './settings';
import { companions } from './companions';
import { criteria, headline } from './criteria';
import { activationQuantRows, sanityFlags } from './flags';
import type { Merged } from './merged';
import { type Series, buildSeries, pairedWorst, tile, worstCases } from './series';

export type { Series } from './series';

export interface DataInfo {
  name: string;
  /** Samples in the data set (the audit evaluates the first min(limit, total)). */
  total: number;
}

/** Every chunk's per-sample results in global sample order (what the report and the per-sample lines read). */
export function mergeResults(settings: AuditSettings, summary: ModelSummary, chunks: Chunk[], results: ChunkResult[], data: DataInfo, opts: { surrogate?: boolean } = {}): Merged {
  return gather(settings, planInput(summary, data, opts), chunks, results);
}

const planInput = (summary: ModelSummary, data: DataInfo, opts: { surrogate?: boolean }): PlanInput => ({ modelBits: summary.bits, dataSize: data.total, surrogate: opts.surrogate });

export function mergeReport(settings: AuditSettings, summary: ModelSummary, chunks: Chunk[], results: ChunkResult[], data: DataInfo, opts: { surrogate?: boolean } = {}): Report {
  const input = planInput(summary, data, opts);
  const m = mergeResults(settings, summary, chunks, results, data, opts);
  const rows = m.series.map((s) => toRow(s.row, s.correct));
  const clean = cleanRows(m);
  const worstCase = worstCases(settings, m.variants, m.series, m.n);
  const paired = pairedWorst(settings, m.reference, m.variants, m.series, m.n);
  const variants = planVariants(settings, summary.bits);
  const ex = exampleSource(settings, variants);
  const exChunk = m.attacks.find((a) => a.chunk.examples > 0);
  return {
    qaudit: QAUDIT_VERSION,
    schemaVersion: REPORT_SCHEMA_VERSION,
    settings: { ...settings },
    model: summary,
    data: { name: data.name, samples: m.n, total: data.total, inputShape: summary.inputShape },
    variants,
    clean,
    rows,
    worstCase,
    headline: headline(settings, variants, worstCase),
    criteria: criteria(m.reference, clean, rows, worstCase, paired),
    companions: companions(m),
    flags: sanityFlags(m, rows),
    ...(activationQuantRows(m).length ? { activationQuantization: activationQuantRows(m) } : {}),
    notes: notes(settings, input, m),
    examples: ex && exChunk ? {
      ...ex, norm: settings.norm, shape: summary.inputShape,
      items: exChunk.result.examples.map((e) => ({ ...e, cleanPrediction: m.clean.predicted[clfKey(ex.variant, 'none')]![e.index]! })),
    } : null,
  };
}

function toRow(row: Series['row'], correct: number[]): Row {
  const c = correct.reduce((a, b) => a + b, 0);
  return { ...row, accuracy: c / correct.length, samples: correct.length, correct: c };
}

function cat<T>(parts: T[][]): T[] {
  return parts.flat();
}

function gather(settings: AuditSettings, input: PlanInput, chunks: Chunk[], results: ChunkResult[]): Merged {
  const byId = new Map(results.map((r) => [r.id, r]));
  const get = <K extends ChunkResult['kind']>(c: Chunk, kind: K) => {
    const r = byId.get(c.id);
    if (!r) throw new EngineError('invalid_argument', `expected a result for chunk ${c.id}, got none`);
    expect(r.kind === kind, 'invalid_argument', `expected a ${kind} result for chunk ${c.id}, got ${r.kind}`);
    return r as Extract<ChunkResult, { kind: K }>;
  };
  const n = Math.min(settings.limit, input.dataSize);
  const variants = planVariants(settings, input.modelBits).map((v) => v.name);
  const cleanParts = tile(chunks.filter((c) => c.kind === 'clean').map((c) => get(c, 'clean')), n, 'clean');
  const clean: CleanResult = {
    kind: 'clean', id: 'clean', start: 0, end: n,
    labels: cat(cleanParts.map((p) => p.labels)),
    predicted: mapKeys(cleanParts, (p) => p.predicted),
    logitError: mapKeys(cleanParts, (p) => p.logitError),
    probability: cat(cleanParts.map((p) => p.probability)),
  };
  const attacks = chunks.filter((c): c is AttackChunk => c.kind === 'attack').map((chunk) => ({ chunk, result: get(chunk, 'attack') }));
  const sanity = chunks.filter((c) => c.kind === 'sanity').map((chunk) => ({ chunk, result: get(chunk, 'sanity') }));
  const layersChunk = chunks.find((c) => c.kind === 'layers');
  const layers = layersChunk ? get(layersChunk, 'layers') : { kind: 'layers' as const, id: 'layers', layers: [] };
  const transfers = chunks.filter((c) => c.kind === 'transfer').map((chunk) => ({ chunk, result: get(chunk, 'transfer') }));
  const series = buildSeries(settings, input, variants, n, clean, attacks, transfers);
  return { settings, reference: variants[0]!, variants, n, clean, series, attacks, sanity, layers };
}

/** Concatenates per-key arrays of sorted parts. */
function mapKeys<P, T>(parts: P[], f: (p: P) => Record<string, T[]>): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const p of parts) for (const [k, v] of Object.entries(f(p))) (out[k] ??= []).push(...v);
  return out;
}

function cleanRows(m: Merged): CleanRow[] {
  const guards = planGuards(m.settings).filter((g) => !g.adaptive);
  return m.variants.flatMap((variant) => guards.map((g) => {
    const pred = m.clean.predicted[clfKey(variant, g.defense)] ?? [];
    const correct = pred.filter((p, i) => p === m.clean.labels[i]).length;
    return { variant, defense: g.defense, accuracy: pred.length ? correct / pred.length : 0, samples: pred.length, correct };
  }));
}

function notes(settings: AuditSettings, input: PlanInput, m: Merged): string[] {
  const out = [
    `Evaluated the first ${m.n} of ${input.dataSize} samples; one sample is ${(100 / m.n).toFixed(2)} points of accuracy.`,
    'A sample misclassified on the clean input counts as non-robust in every attack row and in the worst case (AutoAttack / RobustBench).',
    "QL's worst case compares the reference and each twin over the same attacks: those both have (listed in each QL row).",
  ];
  if (input.modelBits !== null) {
    out.push(`The model was uploaded quantized (${input.modelBits} bits): it is audited as given ('original'); twins have fewer bits and are re-quantized from it; QL is relative to 'original'.`);
  }
  if (settings.attacks.includes('transfer') && !transferSource(input)) {
    out.push('No transfer rows: the model was uploaded quantized and no float or surrogate model was supplied to craft on.');
  }
  if (settings.defense !== 'none') {
    out.push(`Defense '${settings.defense.mapping}': rows with adaptive=false attack through the mapping; adaptive=true use BPDA` +
      (settings.defense.mapping === 'random' ? ` with EOT over ${settings.eot} draws.` : '.') + ' The headline is the worst of plain, adaptive, Square and transfer.');
  }
  return out;
}
