// The Workflow's step sequence, driven by a fake `step` with Workflows' semantics: a finished step's result is
// replayed from the log by name, a throwing step is retried up to its limit, an evicted run stops dead.
import { beforeAll, describe, expect, it } from 'vitest';

import type { SigningKey } from '../../src/attest';
import { keys } from '../../src/storage/keys';
import { MemoryStore } from '../../src/storage/memory';
import { StorageError } from '../../src/storage/store';
import { requestCancel } from '../../src/jobs/lifecycle';
import type { ModelBytes } from '../../src/jobs/inputs';
import { readRecord } from '../../src/jobs/record';
import { STEP_CONFIG, runAuditWorkflow } from '../../src/jobs/workflow-run';
import type { Dataset } from '../../src/engine/data/types';
import { SETTINGS, seedJob, workflowFixture } from './_fixture';
import { Evicted, FakeStep } from './_fakestep';

describe('runAuditWorkflow', () => {
  let model: ModelBytes;
  let data: Dataset;
  let key: SigningKey;
  let expected: Uint8Array;
  beforeAll(async () => {
    ({ model, data, key, expected } = await workflowFixture());
  }, 60_000);

  it('survives an eviction mid-audit: the replay skips logged steps and the report bytes match the Node runner', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const deps = async () => ({ store, signingKey: key });
    const step = new FakeStep();
    step.evictAfter = 6;
    await expect(runAuditWorkflow(id, step, deps)).rejects.toBeInstanceOf(Evicted);
    expect((await readRecord(store, id))!.progress).toMatchObject({ done: 5, total: 27 });
    step.evictAfter = Infinity;
    expect(await runAuditWorkflow(id, step, deps)).toBe('done');
    expect([...step.calls.values()].every((n) => n === 1)).toBe(true);
    expect(step.calls.size).toBe(1 + 27 + 1);
    expect(step.calls.has('fail')).toBe(false);
    expect(Buffer.from((await store.get(keys.report(id)))!).equals(Buffer.from(expected))).toBe(true);
    expect((await readRecord(store, id))!.status).toBe('succeeded');
  });

  it('lets step.do retry a transient store failure, and fails the job at once on an engine error', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    let failures = 2;
    const put = store.putIfAbsent.bind(store);
    store.putIfAbsent = async (k, b, o) => {
      if (k.includes('/chunks/layers') && failures-- > 0) throw new StorageError('unavailable', 'expected an answer, got 503', k);
      return put(k, b, o);
    };
    const step = new FakeStep();
    expect(await runAuditWorkflow(id, step, async () => ({ store, signingKey: key }))).toBe('done');
    expect(step.calls.get('chunk layers')).toBe(3);
    expect(STEP_CONFIG.retries!.limit).toBeGreaterThanOrEqual(2);

    // 2000 samples in chunks of 16 plan 2000 chunks: more steps than a Workflow instance may have.
    const bad = new MemoryStore();
    const big: Dataset = { name: 'big', x: new Uint8Array(2000 * 16), y: Int32Array.from({ length: 2000 }, (_, i) => i % 3), shape: [2000, 4, 4, 1] };
    const badId = await seedJob(bad, model, big, { ...SETTINGS, limit: 2000 });
    const step2 = new FakeStep();
    expect(await runAuditWorkflow(badId, step2, async () => ({ store: bad, signingKey: key }))).toBe('stopped');
    expect(step2.calls.get('prepare')).toBe(1);
    const rec = (await readRecord(bad, badId))!;
    expect(rec.status).toBe('failed');
    expect(rec.error!.code).toBe('limit_exceeded');
    expect(rec.error!.message).toMatch(/^expected at most 1000 chunks per audit on Workers, got \d+/);
  });

  it('stops at the next step after a cancel and marks the job canceled', async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const step = new FakeStep();
    const deps = async () => ({ store, signingKey: key });
    step.evictAfter = 3;
    await expect(runAuditWorkflow(id, step, deps)).rejects.toBeInstanceOf(Evicted);
    await requestCancel(store, id);
    step.evictAfter = Infinity;
    expect(await runAuditWorkflow(id, step, deps)).toBe('stopped');
    const r = (await readRecord(store, id))!;
    expect(r.status).toBe('canceled');
    expect(r.progress.done).toBe(2);
  });
});
