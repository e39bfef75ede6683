// A Workflow audit fanned out: the parent instance plans, starts `parts` child instances that each run every
// parts-th chunk (round robin, so each part gets a like mix of variants and attacks) and write their results to the
// store, polls the store with durable sleeps until every chunk is there, then merges and signs as before. Results
// are read back from their stored bytes, so the report is the same as a sequential run's, byte for byte.
import { PLAN_STEP, finishedChunks } from './audit';
import type { AuditPlan } from './audit';
import type { JobDeps } from './lifecycle';
import { failJob, writeProgress } from './lifecycle';
import { errorInfo, fromJsonBytes, isFinished, readRecord } from './record';
import { keys } from '../storage/keys';
import { STEP_CONFIG, guarded, runChunks } from './workflow-run';
import type { Fanout, StepDo } from './workflow-run';

/** Parts an audit fans out to on Workers unless WORKFLOW_FANOUT says otherwise (1: every chunk in the job's instance). */
export const DEFAULT_FANOUT = 4;
/** Fewer chunks than this per part would cost more in reloading model and data than the parallelism gains. */
export const MIN_CHUNKS_PER_PART = 4;
/** Longest pause between two looks at the store (the first is 2 s, then doubling). */
const MAX_POLL_SECONDS = 30;

/** Starts child instance `part` of `of` for the job (a second start of the same part is a no-op). */
export type SpawnPart = (jobId: string, part: number, of: number) => Promise<void>;

export const partsOf = <T>(items: readonly T[], part: number, of: number): T[] => items.filter((_, i) => i % of === part);

/** The Fanout of an audit Workflow: at most `maxParts` parts, each with at least MIN_CHUNKS_PER_PART chunks. */
export function workflowFanout(maxParts: number, spawn: SpawnPart): Fanout {
  return {
    parts: (plan) => Math.max(1, Math.min(maxParts, Math.floor(plan.chunks.length / MIN_CHUNKS_PER_PART))),
    async run(jobId, plan, parts, step, deps, prefix) {
      await step.do(`${prefix}start ${parts} parts`, STEP_CONFIG, async () => {
        for (let k = 0; k < parts; k++) await spawn(jobId, k, parts);
        return true;
      });
      const total = plan.chunks.length;
      for (let i = 0; ; i++) {
        const state = await step.do(`${prefix}wait ${i}`, STEP_CONFIG, async () => {
          const d = await deps();
          const r = await readRecord(d.store, jobId);
          // A part failed the job, or a cancel was seen by a part: nothing more to wait for.
          if (!r || isFinished(r)) return 'ended';
          return (await guarded(jobId, d, async () => {
            const done = (await finishedChunks(plan, d.store)).size;
            await writeProgress(d.store, jobId, { done, total, current: `${total - done} chunks left over ${parts} parallel parts` });
            return done === total ? 'complete' : 'running';
          })) ?? 'ended';
        });
        if (state === 'complete') return true;
        if (state === 'ended') return false;
        await step.sleep(`${prefix}sleep ${i}`, `${Math.min(MAX_POLL_SECONDS, 2 ** (i + 1))} seconds`);
      }
    },
  };
}

/**
 * A child instance: reads the stored plan and runs its share of the chunks (progress is the parent's to write).
 * A part that cannot go on (retries of a transient failure exhausted) fails the job, which stops the parent's wait.
 */
export async function runAuditPart(jobId: string, part: number, of: number, step: StepDo, deps: () => Promise<JobDeps>): Promise<'done' | 'stopped' | 'failed'> {
  try {
    const plan = await step.do('plan', STEP_CONFIG, async () => {
      const bytes = await (await deps()).store.get(keys.jobChunk(jobId, PLAN_STEP));
      return bytes ? fromJsonBytes<AuditPlan>(bytes) : null;
    });
    if (!plan) return 'stopped';
    return (await runChunks(jobId, plan, partsOf(plan.chunks, part, of), step, deps, { part: true })) ? 'done' : 'stopped';
  } catch (e) {
    await step.do('fail', STEP_CONFIG, async () => {
      await failJob((await deps()).store, jobId, errorInfo(e));
      return true;
    });
    return 'failed';
  }
}
