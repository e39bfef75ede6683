// Drives one audit job through its steps on any ChunkExecutor: prepare, the chunks (as many at once as the
// executor allows, skipping stored ones), report. Runtime-neutral; the Node driver and runAuditLocally use it.
import type { Chunk } from '../engine/audit';
import { chunkStep, finishedChunks, prepare, reportStep } from './audit';
import { cancelRequested, chunkMeasures, failJob, markCanceled, markRunning, timeLimitError, writeProgress } from './lifecycle';
import type { AuditPlan } from './audit';
import type { JobDeps } from './lifecycle';
import type { ChunkExecutor } from './executor';
import { errorInfo, isFinished, readRecord, withRetry } from './record';
import type { RetryOptions } from './record';
import type { JobProgress, JobRecord } from './types';

export type JobEvent =
  | { type: 'progress'; jobId: string; progress: JobProgress }
  | { type: 'chunk'; jobId: string; chunkId: string; computed: boolean }
  | { type: 'finished'; jobId: string; record: JobRecord };

export interface RunOptions {
  /** Checked between steps besides the store's cancel marker (the Node driver's in-memory flag). */
  canceled?: () => boolean;
  retry?: RetryOptions;
  /** Awaited, so an observer can apply back-pressure (tests use it to slow a run down). */
  onEvent?: (e: JobEvent) => void | Promise<void>;
  /** Where unexpected (non-typed) errors are logged; the record only says "internal error". */
  log?: (message: string, error: unknown) => void;
  /** True once the process is shutting down: the job stops between steps and its record is left for the next start. */
  stopping?: () => boolean;
  /** The job's wall-clock limit: past `at` (ms, read from `now`), it fails with code time_limit. */
  deadline?: { at: number; seconds: number; now?: () => number };
}

/** The process is shutting down; not a failure of the job. */
export class Shutdown extends Error {
  override readonly name = 'Shutdown';
}

export class Canceled extends Error {
  override readonly name = 'JobCanceled';
}

export type Retry = <T>(f: () => Promise<T>) => Promise<T>;

/**
 * The frame of every job run: skips a finished job, runs `body`, turns a cancel or a failure into the record's
 * state (never throws for a failure of the job), frees the executor, and returns the finished record.
 */
export async function settleJob(
  jobId: string, deps: JobDeps, executor: { close(jobId: string): Promise<void> }, opts: RunOptions,
  body: (retry: Retry, isCanceled: () => Promise<boolean>) => Promise<void>,
): Promise<JobRecord> {
  const retry: Retry = (f) => withRetry(f, opts.retry);
  const first = await retry(() => readRecord(deps.store, jobId));
  if (!first || isFinished(first)) return first as JobRecord;
  const isCanceled = async () => {
    if (opts.stopping?.()) throw new Shutdown();
    const d = opts.deadline;
    if (d && (d.now ?? Date.now)() > d.at) throw timeLimitError(d.seconds);
    return opts.canceled?.() === true || (await retry(() => cancelRequested(deps.store, jobId)));
  };
  try {
    if (await isCanceled()) throw new Canceled();
    await body(retry, isCanceled);
  } catch (e) {
    // Shutting down: whatever failed (a worker thread terminated mid-chunk, say), the record stays as it was.
    if (e instanceof Shutdown || opts.stopping?.()) {
      await executor.close(jobId).catch(() => undefined);
      return first;
    }
    const info = errorInfo(e);
    if (info.code === 'internal_error') opts.log?.(`job ${jobId} failed`, e);
    await retry(() => (e instanceof Canceled ? markCanceled(deps.store, jobId) : failJob(deps.store, jobId, info)));
  } finally {
    await executor.close(jobId);
  }
  const record = (await retry(() => readRecord(deps.store, jobId)))!;
  await opts.onEvent?.({ type: 'finished', jobId, record });
  return record;
}

/** Runs the audit to a finished record (succeeded, failed or canceled); never throws for a failure of the job. */
export function runAuditJob(jobId: string, deps: JobDeps, executor: ChunkExecutor, opts: RunOptions = {}): Promise<JobRecord> {
  return settleJob(jobId, deps, executor, opts, async (retry, isCanceled) => {
    const { plan, inputs } = await retry(() => prepare(jobId, deps));
    const done = await retry(() => finishedChunks(plan, deps.store));
    await retry(() => markRunning(deps.store, plan, done));
    await executor.open(jobId, inputs, plan.settings);
    await runChunks(plan, done, deps, executor, { ...opts, isCanceled });
    await retry(() => reportStep(plan, deps));
  });
}

/** Pulls chunks from one queue into `executor.concurrency` lanes; the first failure stops every lane. */
async function runChunks(
  plan: AuditPlan, done: ReadonlySet<string>, deps: JobDeps, executor: ChunkExecutor,
  opts: RunOptions & { isCanceled: () => Promise<boolean> },
): Promise<void> {
  // Stored chunks stay queued: their step finds the result and skips (and repairs a torn one), cheaply.
  const queue: Chunk[] = [...plan.chunks];
  const total = plan.chunks.length;
  let finished = done.size;
  let stop: unknown = null;
  const started = Date.now();
  let ranHere = 0;
  // Record writes are chained so that concurrent lanes never interleave read-modify-write cycles.
  let writes = Promise.resolve();
  /** After each chunk: chunks done, the next one queued, and the ETA from this run's pace (wall time per chunk). */
  const report = (measures: Partial<JobProgress>) => {
    const left = total - finished;
    const eta = ranHere > 0 ? Math.round(((Date.now() - started) / ranHere) * left / 1000) : undefined;
    const current = queue[0]?.id;
    const progress: JobProgress = { done: finished, total, ...(current ? { current } : {}), ...(eta !== undefined ? { etaSeconds: eta } : {}), ...measures };
    writes = writes.then(() => withRetry(() => writeProgress(deps.store, plan.jobId, progress), opts.retry));
    return Promise.all([writes, opts.onEvent?.({ type: 'progress', jobId: plan.jobId, progress })]);
  };
  const lane = async () => {
    for (let c = queue.shift(); c && stop === null; c = queue.shift()) {
      if (await opts.isCanceled()) throw new Canceled();
      const chunk = c;
      const t0 = Date.now();
      const run = await withRetry(() => chunkStep(plan.jobId, chunk, deps, (x) => executor.run(plan.jobId, x)), opts.retry);
      if (!done.has(chunk.id)) finished++;
      if (run.computed) ranHere++;
      await report(run.computed ? chunkMeasures(plan, chunk.id, (Date.now() - t0) / 1000, run.memoryBytes) : {});
      await opts.onEvent?.({ type: 'chunk', jobId: plan.jobId, chunkId: chunk.id, computed: run.computed });
    }
  };
  const lanes = Array.from({ length: Math.max(1, executor.concurrency) }, () => lane().catch((e) => { stop ??= e; }));
  await Promise.all(lanes);
  await writes;
  if (stop !== null) throw stop;
}
