// Report conventions (schema 2): clean-wrong samples are never robust, QL's worst case pairs like with like, rows
// name their loss, DIVA rows carry the divergence rate and HopSkipJump rows the queries used.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { ReportSchema, mergeReport } from '../../../src/engine/audit';
import type { Report } from '../../../src/engine/audit';
import type { Model } from '../../../src/engine/model/types';
import type { Dataset } from '../../../src/engine/data/types';
import { FAST, linearModel, runAll, teacherData } from './helpers';

const N = 32;

describe('report conventions', () => {
  let model: Model;
  let data: Dataset;
  let report: Report;
  beforeAll(async () => {
    await initEngine(await loadWasm());
    model = linearModel();
    data = teacherData(model, N);
    const attacks = ['fgsm', 'pgd', 'apgd-dlr', 'cw', 'transfer', 'diva', 'hsj'] as const;
    const { settings, ctx, chunks, results } = await runAll(model, data, { ...FAST, attacks: [...attacks], bits: [2, 1], limit: N, temperature: 4 });
    ctx.dispose();
    report = mergeReport(settings, model.summary, chunks, results, { name: data.name, total: N });
  }, 120_000);
  afterAll(() => model.dispose());

  it('counts a clean-wrong sample as non-robust: no row and no worst case above clean accuracy, AL >= 0', () => {
    expect(ReportSchema.parse(report)).toBeTruthy();
    expect(report.schemaVersion).toBe(2);
    // The 1-bit twin misclassifies some clean samples of data the float model labels itself.
    expect(report.clean.find((c) => c.variant === 'w1')!.accuracy).toBeLessThan(1);
    const cleanOf = (v: string) => report.clean.find((c) => c.variant === v)!.correct;
    for (const r of report.rows) expect(r.correct).toBeLessThanOrEqual(cleanOf(r.variant));
    for (const w of report.worstCase) expect(w.correct).toBeLessThanOrEqual(cleanOf(w.variant));
    for (const a of report.criteria.al) expect(a.value).toBeGreaterThanOrEqual(0);
  });

  it('takes QL\'s worst case over the attacks both the reference and the twin have', () => {
    const worst = report.criteria.ql.filter((q) => q.attack === 'worst');
    expect(worst.length).toBe(4);
    for (const q of worst) expect(q.attacks).toEqual(['fgsm', 'pgd', 'apgd-dlr', 'cw', 'hsj']);
    // The twins' own worst cases still cover every attack they have, transfer and DIVA included.
    expect(report.worstCase.find((w) => w.variant === 'w1')!.attacks).toEqual(['fgsm', 'pgd', 'apgd-dlr', 'cw', 'transfer', 'diva', 'hsj']);
  });

  it('names the loss of each row, and reports divergence and queries', () => {
    const loss = (a: string) => [...new Set(report.rows.filter((r) => r.attack === a).map((r) => r.loss))];
    expect([loss('pgd'), loss('cw'), loss('apgd-dlr'), loss('hsj')]).toEqual([['ce/T=4'], ['cw'], ['dlr'], ['decision']]);
    const diva = report.rows.filter((r) => r.attack === 'diva');
    expect(diva.map((r) => r.variant)).toEqual(['w2', 'w2', 'w1', 'w1']);
    for (const r of diva) expect(r.divergence).toBeGreaterThanOrEqual(0);
    // Divergence: twin wrong while the reference is right, so at most the twin's error after the attack.
    for (const r of diva) expect(r.divergence!).toBeLessThanOrEqual(1 - r.accuracy + 1e-12);
    for (const r of report.rows.filter((r) => r.attack === 'hsj')) {
      expect(r.queries!.budget).toBe(30);
      expect(r.queries!.max).toBeLessThanOrEqual(30);
      expect(r.queries!.mean).toBeGreaterThanOrEqual(1);
    }
  });
});
