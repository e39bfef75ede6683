// A retraining job as durable Workflow steps (no `cloudflare:*` imports, so Node tests drive it with a fake step):
// prepare -> train 1..T (checkpoint n -> n+1 in the store) -> finish -> the two closing audits' steps -> report.
import { expect } from '../engine/errors';
import { failJob, mirrorChildProgress } from './lifecycle';
import type { JobDeps } from './lifecycle';
import { errorInfo, isFinished, readRecord } from './record';
import { finishRetrain, latestCheckpoint, loadRetrainInputs, openRetrainContext, prepareRetrain, recordTrainingStep, writeCheckpoint } from './retrain';
import type { RetrainContext } from './retrain';
import { retrainReportStep } from './retrain-report';
import { parseRetrainRequest } from './request';
import { STEP_CONFIG, guarded, isolateCache, runAuditWorkflow } from './workflow-run';
import type { StepDo } from './workflow-run';
import type { JobProgress } from './types';

/** Workflows cap an instance's steps (1024 when written): training steps, plus two audits of at most this many chunks each. */
export const MAX_WORKFLOW_TRAIN_STEPS = 400;
export const MAX_WORKFLOW_AUDIT_CHUNKS = 300;

// The training context of this isolate (its float model and training data).
const contexts = isolateCache<RetrainContext>();

const contextFor = (jobId: string, d: JobDeps): Promise<RetrainContext> => contexts.get(jobId, async () => {
  const request = parseRetrainRequest((await readRecord(d.store, jobId))!.request);
  const { inputs, model } = await loadRetrainInputs(d.store, request, d);
  model.dispose();
  return openRetrainContext(inputs);
});

/** Step `train i`: from the newest checkpoint up to checkpoint i (normally one training step; more after a torn write). */
async function trainTo(jobId: string, i: number, total: number, d: JobDeps): Promise<true> {
  const latest = await latestCheckpoint(d.store, jobId);
  expect(latest !== null, 'engine_failure', `expected a checkpoint of job ${jobId}, got none`);
  if (latest!.step >= i) return true;
  const ctx = await contextFor(jobId, d);
  const t0 = Date.now();
  let bytes = latest!.bytes;
  for (let s = latest!.step + 1; s <= i; s++) {
    bytes = ctx.step(bytes);
    if (s < i) await writeCheckpoint(d.store, jobId, bytes, s);
  }
  await recordTrainingStep(d.store, jobId, bytes, total, Math.round(((Date.now() - t0) * (total - i)) / 1000));
  return true;
}

/** Runs the job; every step is idempotent and the Workflow replays finished ones from its log. */
export async function runRetrainWorkflow(jobId: string, step: StepDo, deps: () => Promise<JobDeps>, now = () => new Date()): Promise<'done' | 'stopped' | 'failed'> {
  const guard = { now };
  try {
    const prep = await step.do('prepare', STEP_CONFIG, async () => {
      const d = await deps();
      const r = await readRecord(d.store, jobId);
      if (!r || isFinished(r)) return null;
      return guarded(jobId, d, async () => {
        const { latest, total } = await prepareRetrain(jobId, d, now);
        expect(total <= MAX_WORKFLOW_TRAIN_STEPS, 'limit_exceeded',
          `expected at most ${MAX_WORKFLOW_TRAIN_STEPS} training steps per job on Workers, got ${total}: raise settings.batchesPerStep or lower epochs`);
        return { from: latest.step, total };
      }, guard);
    });
    if (!prep) return 'stopped';
    for (let i = prep.from + 1; i <= prep.total; i++) {
      const ok = await step.do(`train ${i}`, STEP_CONFIG, async () => guarded(jobId, await deps(), async () => trainTo(jobId, i, prep.total, await deps()), guard));
      if (!ok) return 'stopped';
    }
    const fin = await step.do('finish', STEP_CONFIG, async () => {
      // Frees the training context before the audits load their own models and data.
      await contexts.release(jobId);
      const d = await deps();
      return guarded(jobId, d, async () => {
        const { audits } = await finishRetrain(jobId, d, parseRetrainRequest((await readRecord(d.store, jobId))!.request), now);
        const totals = await Promise.all([audits.before, audits.after].map(async (id) => (await readRecord(d.store, id))!.progress.total));
        return { audits, totals };
      }, guard);
    });
    if (!fin) return 'stopped';
    for (const [k, which] of (['before', 'after'] as const).entries()) {
      const id = fin.audits[which];
      const child = { which, offset: k === 0 ? 0 : fin.totals[0]!, total: fin.totals[0]! + fin.totals[1]! };
      const mirror = async (p: JobProgress) => { await mirrorChildProgress((await deps()).store, jobId, child, p); };
      await runAuditWorkflow(id, step, deps, { now, prefix: `${which}: `, onProgress: mirror, maxChunks: MAX_WORKFLOW_AUDIT_CHUNKS, limitOf: jobId });
      const ok = await step.do(`${which}: check`, STEP_CONFIG, async () => {
        const d = await deps();
        return guarded(jobId, d, async () => {
          const child = await readRecord(d.store, id);
          expect(child?.status === 'succeeded', 'engine_failure', `expected the ${which} audit ${id} to succeed, got ${child?.status ?? 'none'}: ${child?.error?.message ?? 'no reason'}`);
          return true;
        }, guard);
      });
      if (!ok) return 'stopped';
    }
    const reported = await step.do('report', STEP_CONFIG, async () => {
      const d = await deps();
      return guarded(jobId, d, async () => (await retrainReportStep(jobId, d, now), true), guard);
    });
    return reported ? 'done' : 'stopped';
  } catch (e) {
    // Retries exhausted on a transient failure: record it so the job does not stay `running` for ever.
    await step.do('fail', STEP_CONFIG, async () => {
      await failJob((await deps()).store, jobId, errorInfo(e), now);
      return true;
    });
    return 'failed';
  }
}
