// Bounded load on loopback: uploads, audit submissions and status polls at once. Nothing is refused or lost, every
// audit finishes, and audits run one at a time in the order the server admitted them. Latencies are printed, never
// asserted; client timeouts are generous (load.ts), so a loaded machine slows the run down instead of failing it.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, WORKER_PATH } from '../jobs/_build';
import { loadTable, runLoad } from './load';

describe('load (bounded, loopback)', () => {
  beforeAll(async () => { await ensureBuilt(); }, 300_000);
  it('loses no request and no job, and runs audits FIFO in admission order, one at a time', { timeout: 600_000 }, async () => {
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
    // Admission is FIFO and one at a time, checked against the server's own order, not against timestamps: the
    // driver's events come in one run per job (no job emits again once another has begun), and the jobs ran in the
    // order the server admitted them to its queue (one tenant here: keyless loopback).
    expect(r.admitted).toHaveLength(8);
    expect(new Set(r.admitted)).toEqual(new Set(r.records.map((x) => x.id)));
    expect(r.runs).toEqual(r.admitted);
    // Every distinct model uploaded is stored (plus the one the audits use).
    expect(r.uploads['2xx']).toBe(6);
    expect(r.models).toBe(6 + 1);
  });
});
