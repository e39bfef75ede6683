// Drives one retraining job through its steps on any JobExecutor: prepare, the training steps (checkpointed to
// the store after each), finish, the two closing audits (as audit jobs of their own), report. Runtime-neutral.
import { EngineError } from '../engine/errors';
import { mirrorChildProgress } from './lifecycle';
import type { JobDeps } from './lifecycle';
import type { JobExecutor, RetrainExecutor } from './executor';
import { readRecord, updateRecord, withRetry } from './record';
import { finishRetrain, prepareRetrain, recordTrainingStep } from './retrain';
import { retrainReportStep } from './retrain-report';
import { Canceled, runAuditJob, settleJob } from './runner';
import type { Retry, RunOptions } from './runner';
import type { JobProgress, JobRecord, RetrainRequest } from './types';

/** Runs the job to a finished record (succeeded, failed or canceled); never throws for a failure of the job. */
export function runRetrainJob(jobId: string, deps: JobDeps, executor: JobExecutor, opts: RunOptions = {}): Promise<JobRecord> {
  return settleJob(jobId, deps, executor, opts, async (retry, isCanceled) => {
    const checkCancel = async () => {
      if (await isCanceled()) throw new Canceled();
    };
    const { request } = await trainJob(jobId, deps, executor, opts, retry, checkCancel);
    const { audits } = await retry(() => finishRetrain(jobId, deps, request));
    await runClosingAudits(jobId, audits, deps, executor, opts, checkCancel);
    await retry(() => retrainReportStep(jobId, deps));
  });
}

/**
 * The training part of a job (the service's and `qaudit retrain`'s one checkpoint loop): prepare, then one step at a
 * time on the executor from the newest checkpoint, each stored before the next starts.
 */
export async function trainJob(
  jobId: string, deps: JobDeps, executor: RetrainExecutor, opts: RunOptions, retry: Retry, checkCancel: () => Promise<void>,
): Promise<{ request: RetrainRequest; total: number }> {
  const { request, inputs, latest, total } = await retry(() => prepareRetrain(jobId, deps));
  if (latest.state.batches < latest.state.plannedBatches) {
    await executor.openRetrain(jobId, inputs);
    let bytes = latest.bytes;
    const started = Date.now();
    for (let state = latest.state, ran = 0; state.batches < state.plannedBatches; ran++) {
      await checkCancel();
      bytes = await executor.step(jobId, bytes);
      const eta = Math.round(((Date.now() - started) / (ran + 1)) * (total - state.steps - 1) / 1000);
      state = await retry(() => recordTrainingStep(deps.store, jobId, bytes, total, eta));
      await opts.onEvent?.({ type: 'progress', jobId, progress: { done: state.steps, total } });
    }
    await executor.close(jobId);
  }
  return { request, total };
}

/** The before and after audits, one after the other; their chunk progress is the job's progress. */
async function runClosingAudits(
  jobId: string, audits: { before: string; after: string }, deps: JobDeps, executor: JobExecutor, opts: RunOptions,
  checkCancel: () => Promise<void>,
): Promise<void> {
  const children = [['before', audits.before], ['after', audits.after]] as const;
  const totals = await Promise.all(children.map(async ([, id]) => (await readRecord(deps.store, id))?.progress.total ?? 0));
  const total = totals[0]! + totals[1]!;
  // Chunks finish on several threads at once: parent-record writes are chained and never move progress back.
  let writes = Promise.resolve();
  let shown = -1;
  for (const [i, [which, id]] of children.entries()) {
    await checkCancel();
    const child = { which, offset: i === 0 ? 0 : totals[0]!, total };
    const rec = await runAuditJob(id, deps, executor, {
      retry: opts.retry, log: opts.log, canceled: opts.canceled, stopping: opts.stopping, deadline: opts.deadline,
      onEvent: async (e) => {
        if (e.type !== 'progress' || child.offset + e.progress.done <= shown) return;
        shown = child.offset + e.progress.done;
        let progress!: JobProgress;
        writes = writes.then(async () => { progress = await withRetry(() => mirrorChildProgress(deps.store, jobId, child, e.progress), opts.retry); });
        await writes;
        await opts.onEvent?.({ type: 'progress', jobId, progress });
      },
    });
    if (rec.status === 'canceled') throw new Canceled();
    if (rec.status !== 'succeeded') {
      throw new EngineError('engine_failure', `expected the ${which} audit ${id} to succeed, got ${rec.status}: ${rec.error?.message ?? 'no reason'}`);
    }
  }
  await withRetry(() => updateRecord(deps.store, jobId, (r) => ({ ...r, retrain: { ...r.retrain!, phase: 'reporting' } })), opts.retry);
}
