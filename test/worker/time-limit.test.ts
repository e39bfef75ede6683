// The per-job wall-clock limit on Workers, in the real workerd runtime: a job whose first start lies further back
// than MAX_JOB_SECONDS (the default, 4 h, read by the AuditWorkflow from the Worker's environment) fails with
// time_limit at its next Workflow step, and the instance's last step gives its queue slots back.
// Its own file: one workflow introspector per file.
import { env, introspectWorkflowInstance } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/config';
import { readRecord, writeRecord } from '../../src/jobs/record';
import { holdSlots, slotKeys } from '../../src/jobs/slots';
import type { JobOwner, JobRecord } from '../../src/jobs/types';
import type { WorkflowBinding } from '../../src/jobs/workflow-job';
import { s3ConfigFromEnv } from '../../src/storage/config';
import { keys, newId } from '../../src/storage/keys';
import { S3Store } from '../../src/storage/s3';

describe('the wall-clock limit on Workers (workerd, real Workflow binding, s3rver)', () => {
  it('fails a job started longer ago than MAX_JOB_SECONDS with time_limit, and releases its queue slots', { timeout: 120_000 }, async () => {
    const seconds = configFromEnv(env).limits.jobSeconds;
    expect(seconds).toBe(14400);
    const store = new S3Store(s3ConfigFromEnv(env as Record<string, string>)!);
    const id = newId();
    const owner: JobOwner = { tenant: 'key:time-limit-test', client: 'addr:203.0.113.31' };
    // Started an hour past the limit (a job resumed after a long outage): a margin no clock skew can close.
    const startedAt = new Date(Date.now() - (seconds + 3600) * 1000).toISOString();
    const record: JobRecord = {
      id, kind: 'audit', status: 'running', createdAt: startedAt, startedAt, progress: { done: 0, total: 1 },
      request: { model: 'a'.repeat(64), dataset: 'mnist', settings: {} }, owner,
    };
    try {
      await writeRecord(store, record);
      await holdSlots(store, id, owner);
      const instance = await introspectWorkflowInstance(env.AUDIT_WORKFLOW, id);
      try {
        await (env.AUDIT_WORKFLOW as WorkflowBinding).create({ id, params: { jobId: id, kind: 'audit' } });
        await instance.waitForStatus('complete');
        expect(await instance.getOutput()).toBe('stopped');
      } finally {
        await instance.dispose();
      }
      const r = (await readRecord(store, id))!;
      expect(r.status).toBe('failed');
      expect(r.error).toEqual({ code: 'time_limit', message: `expected the job to finish within ${seconds} s (MAX_JOB_SECONDS), got longer` });
      for (const k of await slotKeys(id, owner)) expect(await store.head(k), k).toBeNull();
    } finally {
      await store.delete(keys.jobState(id));
      store.close();
    }
  });
});
