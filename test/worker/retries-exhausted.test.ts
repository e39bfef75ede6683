// Workflow step retries that run out, in workerd through the introspection API: the job ends failed, never stuck
// running (the audit workflow's closing `fail` step). Its own file: one workflow introspector per file.
import { env, introspectWorkflow } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { instanceOf, record, startAudit } from './_audit';

describe('Workflow step retries (workerd, introspection API)', () => {
  it('fails the job (not left running) when a step keeps throwing past its retries', { timeout: 120_000 }, async () => {
    const wf = await introspectWorkflow(env.AUDIT_WORKFLOW);
    try {
      await wf.modifyAll(async (m) => {
        await m.disableRetryDelays();
        await m.mockStepError({ name: 'report' }, new Error('transient: store unavailable'));
      });
      const id = await startAudit();
      const instance = await instanceOf(wf);
      await instance.waitForStatus('complete');
      expect(await instance.getOutput()).toBe('failed');
      const r = await record(id);
      expect(r.status).toBe('failed');
      expect(r.error?.code).toBe('internal_error');
    } finally {
      await wf.dispose();
    }
  });
});
