// Bounded load on loopback: uploads, audit submissions and status polls at once. Nothing is refused or lost, every
// audit finishes, and audits start in the order they were submitted. Latencies are printed, never asserted.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, WORKER_PATH } from '../jobs/_build';
import { loadTable, runLoad } from './load';

describe('load (bounded, loopback)', () => {
  beforeAll(async () => { await ensureBuilt(); }, 60_000);
  it('loses no request and no job, and admits audits FIFO, one at a time', { timeout: 120_000 }, async () => {
    const r = await runLoad({ seconds: 2, uploads: 6, uploadConnections: 2, audits: 8, auditConnections: 3, pollConnections: 4, workerPath: WORKER_PATH });
    console.log(`[load]\n${loadTable(r)}\naudits: ${r.records.length} stored, ${r.runningAtPollEnd} still running when polls ended; models stored: ${r.models}`);
    for (const x of [r.uploads, r.submits, r.polls]) {
      expect(x.errors).toBe(0);
      expect(x.timeouts).toBe(0);
      expect(x.non2xx).toBe(0);
      expect(x.requests.total).toBeGreaterThan(0);
    }
    expect(r.submits['2xx']).toBe(8);
    // Every accepted audit has a record, and every record reached a finished state: succeeded.
    expect(r.records.length).toBe(8);
    expect(r.records.map((x) => x.status)).toEqual(Array(8).fill('succeeded'));
    // Admission is FIFO and one at a time: in start order, each audit starts after the one before has finished...
    const byStart = [...r.records].sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    for (let i = 1; i < byStart.length; i++) expect(byStart[i]!.startedAt! >= byStart[i - 1]!.finishedAt!).toBe(true);
    // ...and a later submission overtakes an earlier one only when both requests were in flight together: their
    // createdAt stamps lie closer than the slowest submission took (the queue order is the order of admission).
    const t = (x: string) => Date.parse(x);
    let inversions = 0;
    for (let i = 0; i < byStart.length; i++) {
      for (let j = i + 1; j < byStart.length; j++) {
        const late = t(byStart[i]!.createdAt) - t(byStart[j]!.createdAt);
        if (late > 0) {
          inversions++;
          expect(late).toBeLessThanOrEqual(r.submits.latency.max);
        }
      }
    }
    console.log(`[load] start order vs createdAt: ${inversions} inversions (concurrent submissions)`);
    // Every distinct model uploaded is stored (plus the one the audits use).
    expect(r.uploads['2xx']).toBe(6);
    expect(r.models).toBe(6 + 1);
  });
});
