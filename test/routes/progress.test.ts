// Progress as API clients see it: a retraining job's overall fraction never falls when its counters restart for
// the audits, and a finished job shows no current step or ETA.
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/types';
import { overallFraction } from '../../src/routes/progress';
import { presentRetrain } from '../../src/routes/retrain-start';
import { presentAudit } from '../../src/routes/start';

const retrainRecord = (status: JobRecord['status'], phase: 'training' | 'auditing' | 'reporting' | 'done', done: number, total: number): JobRecord => ({
  id: 'a'.repeat(32), kind: 'retrain', status, createdAt: '2026-01-01T00:00:00Z',
  progress: { done, total, current: 'x', etaSeconds: 12 },
  request: { model: 'b'.repeat(64), dataset: 'mnist', evalDataset: 'mnist', settings: { method: 'qat', bits: 4, epochs: 1, seed: 0 }, audit: {} },
  retrain: { phase, loss: [] },
} as unknown as JobRecord);

describe('retraining progress', () => {
  it('is monotone over the phases, including the drop from 7/7 training steps to 6/61 audit chunks', () => {
    type Phase = Parameters<typeof overallFraction>[0];
    const seq: [Phase, number, number][] = [
      ['queued', 0, 7], ...Array.from({ length: 8 }, (_, i): [Phase, number, number] => ['training', i, 7]), ['auditing', 0, 61], ['auditing', 6, 61],
      ['auditing', 61, 61], ['reporting', 61, 61], ['done', 61, 61],
    ];
    const fractions = seq.map(([phase, done, total]) => overallFraction(phase, { done, total }, false));
    for (let i = 1; i < fractions.length; i++) expect(fractions[i], `step ${i}`).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions.every((f) => f >= 0 && f < 1)).toBe(true);
    expect(overallFraction('done', { done: 61, total: 61 }, true)).toBe(1);
    const view = presentRetrain(retrainRecord('running', 'auditing', 6, 61));
    expect(view.progress).toMatchObject({ done: 6, total: 61, current: 'x', etaSeconds: 12 });
    expect(view.progress.fraction).toBeGreaterThan(presentRetrain(retrainRecord('running', 'training', 7, 7)).progress.fraction);
  });

  it('shows no current step or ETA once a job is canceled, failed or done', () => {
    for (const status of ['canceled', 'failed', 'succeeded'] as const) {
      const r = presentRetrain(retrainRecord(status, 'training', 3, 7));
      expect(r.progress).not.toHaveProperty('current');
      expect(r.progress).not.toHaveProperty('etaSeconds');
      const a = presentAudit({ ...retrainRecord(status, 'training', 3, 7), kind: 'audit', request: { model: 'b'.repeat(64), dataset: 'mnist' } } as JobRecord);
      expect(a.progress).toEqual({ done: 3, total: 7 });
    }
  });
});
