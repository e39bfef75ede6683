// The audit as a sequence of durable steps for a Cloudflare Workflow (workflow.ts), kept free of
// `cloudflare:*` imports so that Node tests can drive it with a fake `step`.
import { expect } from '../engine/errors';
import { chunkStep, prepare, reportStep } from './audit';
import type { Chunk } from '../engine/audit';
import { cancelRequested, checkTimeLimit, chunkMeasures, failJob, markCanceled, markRunning, writeProgress } from './lifecycle';
import type { AuditPlan } from './audit';
import type { JobDeps } from './lifecycle';
import { measureChunk } from './executor';
import { loadInputs, openContext } from './inputs';
import type { OpenContext } from './inputs';
import { errorInfo, isFinished, isTransient, readRecord } from './record';
import type { JobProgress } from './types';

/** The part of Cloudflare's WorkflowStep used here. */
export interface StepDo {
  do<T>(name: string, config: StepConfig, callback: () => Promise<T>): Promise<T>;
  /** A durable pause (the instance may be evicted and resumed after it); used by a fanned-out audit's parent. */
  sleep(name: string, duration: string | number): Promise<void>;
}
export interface StepConfig {
  retries?: { limit: number; delay: string | number; backoff?: 'constant' | 'linear' | 'exponential' };
  timeout?: string | number;
}

/** Transient store failures are retried by the Workflow; anything else fails the job inside the step (no retry). */
export const STEP_CONFIG: StepConfig = { retries: { limit: 5, delay: '5 seconds', backoff: 'exponential' }, timeout: '15 minutes' };
/** Stay below the Workflows per-instance step limit (1024 when written), leaving room for prepare/report/fail. */
export const MAX_WORKFLOW_CHUNKS = 1000;

/**
 * One engine context per isolate, of the job it last served: consecutive steps of a job usually land in the same
 * isolate and skip reloading model and data. Opening another job's context first frees the previous one; a failed
 * open is forgotten, so the step's retry opens it again.
 */
export function isolateCache<T extends { dispose(): void }>() {
  let cached: { jobId: string; ctx: Promise<T> } | undefined;
  return {
    get(jobId: string, open: () => Promise<T>): Promise<T> {
      if (cached?.jobId !== jobId) {
        const previous = cached?.ctx;
        const entry = {
          jobId,
          ctx: (async () => {
            (await previous?.catch(() => undefined))?.dispose();
            return open();
          })(),
        };
        cached = entry;
        entry.ctx.catch(() => { if (cached === entry) cached = undefined; });
      }
      return cached.ctx;
    },
    /** Frees the job's context now (before the next steps load something else). */
    async release(jobId: string): Promise<void> {
      if (cached?.jobId !== jobId) return;
      const ctx = cached.ctx;
      cached = undefined;
      (await ctx.catch(() => undefined))?.dispose();
    },
  };
}

const contexts = isolateCache<OpenContext>();

const contextFor = (plan: AuditPlan, deps: JobDeps): Promise<OpenContext> => contexts.get(plan.jobId, async () => {
  const { inputs, model } = await loadInputs(deps.store, plan.request, plan.settings, deps.builtin);
  model.dispose();
  return openContext(inputs, plan.settings);
});

export interface GuardOptions {
  now?: () => Date;
  /** The job whose first start the time limit counts from (default the step's own; a retraining job's for its audits). */
  limitOf?: string;
}

/**
 * Runs `f` unless the job was canceled or ran past deps.maxJobSeconds; null means "stop the workflow" (canceled, or
 * failed: a non-transient failure, time_limit included, marks the job failed here, so the Workflow does not retry
 * it). Transient failures are rethrown.
 */
export async function guarded<T>(jobId: string, deps: JobDeps, f: () => Promise<T>, o: GuardOptions = {}): Promise<T | null> {
  try {
    if (await cancelRequested(deps.store, jobId)) {
      await markCanceled(deps.store, jobId);
      return null;
    }
    if (deps.maxJobSeconds) await checkTimeLimit(deps.store, o.limitOf ?? jobId, deps.maxJobSeconds, o.now);
    return await f();
  } catch (e) {
    if (isTransient(e)) throw e;
    await failJob(deps.store, jobId, errorInfo(e));
    return null;
  }
}

export interface AuditWorkflowOptions {
  now?: () => Date;
  /** Prefix of the step names: a retraining job runs its two closing audits inside its own Workflow instance. */
  prefix?: string;
  /** Called inside each chunk step after its progress was written (a retraining job mirrors it into its record). */
  onProgress?: (progress: JobProgress) => Promise<void>;
  /** Chunks this audit may plan (default MAX_WORKFLOW_CHUNKS; less when it shares an instance). */
  maxChunks?: number;
  /** Runs the chunks in parts, each a Workflow instance of its own (workflow-fanout.ts); unset: one after another here. */
  fanout?: Fanout;
  /** The job whose first start MAX_JOB_SECONDS counts from: a retraining job passes its own id to its audits. */
  limitOf?: string;
}

/** How a planned audit's chunks may be spread over other Workflow instances (implemented by workflow-fanout.ts). */
export interface Fanout {
  /** How many parts for this plan; 1 runs every chunk in this instance. */
  parts(plan: AuditPlan): number;
  /** Starts the parts and waits (durably) until every chunk's result is stored; false when the job ended meanwhile. */
  run(jobId: string, plan: AuditPlan, parts: number, step: StepDo, deps: () => Promise<JobDeps>, prefix: string): Promise<boolean>;
}

/**
 * One step per chunk of `chunks` (in plan order). With `onProgress`/progress writes (a whole audit in this instance)
 * each step records progress and the chunk's measures; a part of a fanned-out audit leaves progress to its parent.
 */
export async function runChunks(
  jobId: string, plan: AuditPlan, chunks: Chunk[], step: StepDo, deps: () => Promise<JobDeps>,
  o: Pick<AuditWorkflowOptions, 'prefix' | 'onProgress' | 'now' | 'limitOf'> & { part?: boolean } = {},
): Promise<boolean> {
  const total = plan.chunks.length;
  const guard = { now: o.now, limitOf: o.limitOf };
  for (const [i, chunk] of chunks.entries()) {
    const out = await step.do(`${o.prefix ?? ''}chunk ${chunk.id}`, STEP_CONFIG, async () => {
      const d = await deps();
      // A part stops when the job ended elsewhere (another part failed it, or it was canceled).
      if (o.part) {
        const r = await readRecord(d.store, jobId);
        if (!r || isFinished(r)) return null;
      }
      return guarded(jobId, d, async () => {
        const t0 = Date.now();
        const run = await chunkStep(jobId, chunk, d, async (c) => measureChunk((await contextFor(plan, d)).ctx, c));
        if (o.part) return true;
        // Workers' clock advances at I/O only, so the time is read after the result's write: compute and write.
        const seconds = (Date.now() - t0) / 1000;
        // One step's duration times the steps left: the Workflow gives no cheaper clock across isolates.
        const etaSeconds = Math.round(seconds * (total - i - 1));
        const measures = run.computed ? chunkMeasures(plan, chunk.id, seconds, run.memoryBytes) : {};
        const progress = { done: i + 1, total, current: chunk.id, etaSeconds, ...measures };
        await writeProgress(d.store, jobId, progress);
        await o.onProgress?.(progress);
        return true;
      }, guard);
    });
    if (!out) return false;
  }
  return true;
}

/** prepare -> one step per chunk (in plan order) -> report. Each step is idempotent; the Workflow replays finished ones from its log. */
export async function runAuditWorkflow(jobId: string, step: StepDo, deps: () => Promise<JobDeps>, o: AuditWorkflowOptions = {}): Promise<'done' | 'stopped' | 'failed'> {
  const now = o.now ?? (() => new Date());
  const p = o.prefix ?? '';
  const guard = { now, limitOf: o.limitOf };
  try {
    const plan = await step.do(`${p}prepare`, STEP_CONFIG, async () => {
      const d = await deps();
      const r = await readRecord(d.store, jobId);
      if (!r || isFinished(r)) return null;
      return guarded(jobId, d, async () => {
        const { plan } = await prepare(jobId, d);
        const max = o.maxChunks ?? MAX_WORKFLOW_CHUNKS;
        expect(plan.chunks.length <= max, 'limit_exceeded',
          `expected at most ${max} chunks per audit on Workers, got ${plan.chunks.length}: raise settings.chunkSize or lower settings.limit`);
        await markRunning(d.store, plan, new Set(), now);
        return plan;
      }, guard);
    });
    if (!plan) return 'stopped';
    const parts = o.fanout?.parts(plan) ?? 1;
    const ran = parts > 1 ? await o.fanout!.run(jobId, plan, parts, step, deps, p) : await runChunks(jobId, plan, plan.chunks, step, deps, { ...o, now });
    if (!ran) return 'stopped';
    const reported = await step.do(`${p}report`, STEP_CONFIG, async () => {
      const d = await deps();
      return guarded(jobId, d, async () => {
        await reportStep(plan, d, now);
        return true;
      }, guard);
    });
    return reported ? 'done' : 'stopped';
  } catch (e) {
    // Retries exhausted on a transient failure: record it so the job does not stay `running` for ever.
    await step.do(`${p}fail`, STEP_CONFIG, async () => {
      await failJob((await deps()).store, jobId, errorInfo(e), now);
      return true;
    });
    return 'failed';
  }
}
