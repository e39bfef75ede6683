// The lifecycle every job shares, audits and retraining jobs alike: what a job's steps depend on, and the state
// changes of its record (running, progress, failed, canceled) and of its cancel marker.
import type { SigningKey } from '../attest';
import { EngineError } from '../engine/errors';
import { keys } from '../storage/keys';
import type { Store } from '../storage/store';
import type { BuiltinLoader } from './inputs';
import { readRecord, toJsonBytes, updateRecord } from './record';
import type { JobProgress } from './types';

export interface JobDeps {
  store: Store;
  /** Signs the report's in-toto statement (DSSE, Ed25519: deterministic, so a re-signed report has the same bytes). */
  signingKey: SigningKey;
  /** Node: the package's MNIST; unset on Workers, where the seeded bucket copy is read. */
  builtin?: BuiltinLoader;
  /** Bytes one chunk may use (micro-batches are sized from it); default DEFAULT_MEMORY_BUDGET, a Workers isolate. */
  memoryBudget?: number;
  /** MAX_JOB_SECONDS for the Workflow steps, which check it against the record's startedAt (the Node driver passes
   *  its deadline to the runner instead). */
  maxJobSeconds?: number;
}

const JSON_TYPE = { contentType: 'application/json' };
/** Step name of the cancel marker (never an engine chunk id, which always carries a ':'). */
export const CANCEL_STEP = 'cancel';

/**
 * The write of a step's result, once: an object at `key` that `whole` accepts is kept and `make` is not called.
 * A server that writes in place (s3rver) can leave a torn object when a writer dies mid-PUT; steps are
 * deterministic, so such an object (one `whole` refuses) is replaced by the very bytes it should hold.
 * Returns the bytes now stored and whether this call wrote them.
 */
export async function writeOnce(
  store: Store, key: string, whole: (stored: Uint8Array) => boolean, make: () => Uint8Array | Promise<Uint8Array>,
  options?: { contentType?: string },
): Promise<{ bytes: Uint8Array; written: boolean }> {
  const stored = await store.get(key);
  if (stored && whole(stored)) return { bytes: stored, written: false };
  const bytes = await make();
  if (stored) await store.put(key, bytes, options);
  else await store.putIfAbsent(key, bytes, options);
  return { bytes, written: true };
}

/** Marks the job running with its chunk count (keeps the first startedAt across restarts). */
export async function markRunning(store: Store, plan: { jobId: string; chunks: { id: string }[] }, doneIds: ReadonlySet<string>, now = () => new Date()): Promise<void> {
  const done = doneIds.size;
  await updateRecord(store, plan.jobId, (r) => ({
    ...r, status: 'running', startedAt: r.startedAt ?? now().toISOString(),
    progress: { done, total: plan.chunks.length, current: plan.chunks.find((c) => !doneIds.has(c.id))?.id },
  }));
}

/**
 * Writes a running job's progress. The measures of the last computed chunk stay until another chunk is computed,
 * and the memory peak is the largest of every chunk so far (steps of one job may run in different isolates).
 */
export async function writeProgress(store: Store, jobId: string, progress: JobProgress): Promise<void> {
  await updateRecord(store, jobId, (r) => (r.status === 'running' ? { ...r, progress: keepMeasures(r.progress, progress) } : r));
}

/** `next` with the measures of `before` it lacks, and the larger memory peak of the two. */
export function keepMeasures(before: JobProgress | undefined, next: JobProgress): JobProgress {
  const lastChunk = next.lastChunk ?? before?.lastChunk;
  const memory = next.memory ?? before?.memory;
  const peakBytes = Math.max(before?.memory?.peakBytes ?? 0, next.memory?.peakBytes ?? 0);
  return { ...next, ...(lastChunk ? { lastChunk } : {}), ...(memory ? { memory: { ...memory, peakBytes } } : {}) };
}

/** The progress fields of a chunk just computed: its measures, and the memory next to the plan's estimate. */
export function chunkMeasures(
  plan: { memory?: { plannedBytes: number; budgetBytes: number } }, id: string, seconds: number, memoryBytes: number,
): Pick<JobProgress, 'lastChunk' | 'memory'> {
  return {
    lastChunk: { id, seconds: Math.round(seconds * 1000) / 1000, memoryBytes },
    ...(plan.memory ? { memory: { peakBytes: memoryBytes, ...plan.memory } } : {}),
  };
}

/** Where a closing audit stands in its parent job: which one, the chunks of the audits before it, all chunks. */
export interface ChildAudit { which: string; offset: number; total: number }

/** Mirrors a closing audit's progress into its parent job's record (the parent's progress is its audits' chunks). */
export async function mirrorChildProgress(store: Store, parentId: string, child: ChildAudit, p: JobProgress): Promise<JobProgress> {
  const progress: JobProgress = { ...p, done: child.offset + p.done, total: child.total, current: `audit ${child.which}: ${p.current ?? ''}`.trim() };
  await writeProgress(store, parentId, progress);
  return progress;
}

export async function failJob(store: Store, jobId: string, error: { code: string; message: string }, now = () => new Date()): Promise<void> {
  await updateRecord(store, jobId, (r) => ({ ...r, status: 'failed', finishedAt: now().toISOString(), error }));
}

export async function markCanceled(store: Store, jobId: string, now = () => new Date()): Promise<void> {
  await updateRecord(store, jobId, (r) => ({ ...r, status: 'canceled', finishedAt: now().toISOString() }));
}

/** Cancel is a separate write-once marker, so it can never be lost to the runner's own record updates. */
export async function requestCancel(store: Store, jobId: string): Promise<void> {
  await store.putIfAbsent(keys.jobChunk(jobId, CANCEL_STEP), toJsonBytes({ cancel: true }), JSON_TYPE);
}

export async function cancelRequested(store: Store, jobId: string): Promise<boolean> {
  return (await store.head(keys.jobChunk(jobId, CANCEL_STEP))) !== null;
}

/** The failure of a job past its wall-clock limit, the same on both drivers. */
export const timeLimitError = (seconds: number) =>
  new EngineError('time_limit', `expected the job to finish within ${seconds} s (MAX_JOB_SECONDS), got longer`);

/** Throws timeLimitError once `seconds` have passed since the job's first start (its record's startedAt). */
export async function checkTimeLimit(store: Store, jobId: string, seconds: number, now = () => new Date()): Promise<void> {
  const startedAt = (await readRecord(store, jobId))?.startedAt;
  if (startedAt && now().getTime() > Date.parse(startedAt) + seconds * 1000) throw timeLimitError(seconds);
}
