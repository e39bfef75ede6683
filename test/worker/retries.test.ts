// Workflow step retries in the real workerd runtime, through the Workflows engine's own introspection API
// (introspectWorkflow from cloudflare:test), not the fake step of test/jobs: a step that throws is retried by
// the engine with the job's STEP_CONFIG. (One introspector per file: a second one in the same file sees no instance.)
import { env, introspectWorkflow } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { STEP_CONFIG } from '../../src/jobs/workflow-run';
import { instanceOf, record, startAudit } from './_audit';

describe('Workflow step retries (workerd, introspection API)', () => {
  it('retries a step that throws, within its retry limit, and the job succeeds', { timeout: 120_000 }, async () => {
    const wf = await introspectWorkflow(env.AUDIT_WORKFLOW);
    try {
      await wf.modifyAll(async (m) => {
        await m.disableRetryDelays();
        // Fewer failures than STEP_CONFIG allows retries: the engine, not our code, must re-run the step.
        await m.mockStepError({ name: 'prepare' }, new Error('transient: store unavailable'), STEP_CONFIG.retries!.limit - 1);
        await m.mockStepError({ name: 'report' }, new Error('transient: store unavailable'), 1);
      });
      const id = await startAudit();
      const instance = await instanceOf(wf);
      await instance.waitForStatus('complete');
      expect(await instance.getOutput()).toBe('done');
      expect((await record(id)).status).toBe('succeeded');
    } finally {
      await wf.dispose();
    }
  });
});
