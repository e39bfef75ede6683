// Job records in the store (keys.jobState), the error shape a failed job carries, and retry of transient failures.
import { ClassifiedError, ENGINE_CATEGORIES, EngineError } from '../engine/errors';
import { keys } from '../storage/keys';
import { STORAGE_CATEGORIES, StorageError } from '../storage/store';
import type { Store } from '../storage/store';
import type { JobKind, JobRecord } from './types';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const toJsonBytes = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
export const fromJsonBytes = <T>(b: Uint8Array): T => JSON.parse(dec.decode(b)) as T;

/** A fresh record with status `queued` (for the HTTP layer and tests; the driver only advances it). */
export function newJobRecord(id: string, kind: JobKind, request: Record<string, unknown>, now = new Date()): JobRecord {
  return { id, kind, status: 'queued', createdAt: now.toISOString(), progress: { done: 0, total: 0 }, request };
}

/**
 * The record, or null. s3rver rewrites objects in place, so a read that races the runner's update can see cut
 * JSON (AWS S3 and R2 replace objects atomically): such a read is retried, then answered as unavailable.
 */
export async function readRecord(store: Store, id: string): Promise<JobRecord | null> {
  for (let attempt = 0; ; attempt++) {
    const b = await store.get(keys.jobState(id));
    if (!b) return null;
    try {
      return fromJsonBytes<JobRecord>(b);
    } catch {
      if (attempt === 4) throw new StorageError('unavailable', `expected a JSON job record at ${keys.jobState(id)}, got cut JSON 5 times`, keys.jobState(id));
      await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  }
}

export async function writeRecord(store: Store, record: JobRecord): Promise<void> {
  await store.put(keys.jobState(record.id), toJsonBytes(record), { contentType: 'application/json' });
}

/** Read-modify-write of the record; the driver is its only writer while the job runs. */
export async function updateRecord(store: Store, id: string, patch: (r: JobRecord) => JobRecord): Promise<JobRecord> {
  const r = await readRecord(store, id);
  if (!r) throw new StorageError('not_found', `expected a job record at ${keys.jobState(id)}, got none`, keys.jobState(id));
  const next = patch(r);
  await writeRecord(store, next);
  return next;
}

export const isFinished = (r: JobRecord): boolean => r.status === 'succeeded' || r.status === 'failed' || r.status === 'canceled';

/** True for failures worth retrying: the store was unreachable, throttled or 5xx (after the client's own retries). */
export function isTransient(e: unknown): boolean {
  return e instanceof ClassifiedError ? e.retryable : (e as { retryable?: unknown } | null)?.retryable === true;
}

/** The `{code, message}` a failed job shows: typed errors keep theirs; anything else is an opaque internal error. */
export function errorInfo(e: unknown): { code: string; message: string } {
  if (e instanceof ClassifiedError) return { code: e.code, message: e.message };
  if ((e as { name?: unknown } | null)?.name === 'JobCanceled') return { code: 'canceled', message: 'the job was canceled' };
  return { code: 'internal_error', message: 'expected the job to run, got an internal error (see the server log)' };
}

/**
 * A typed error back from its JSON (a worker thread's message) or from a failed job's `{code, message}`, which
 * names no class: its code says which. Anything else becomes a plain Error with the same message.
 */
export function errorFromJSON(j: { name?: string; code?: string; message: string; pointer?: string }): Error {
  const code = j.code ?? '';
  if (j.name === 'StorageError' || (j.name === undefined && code in STORAGE_CATEGORIES && !(code in ENGINE_CATEGORIES))) {
    return StorageError.fromJSON({ code, message: j.message, pointer: j.pointer });
  }
  if (j.name === 'EngineError' || (j.name === undefined && code in ENGINE_CATEGORIES)) return EngineError.fromJSON({ code, message: j.message, pointer: j.pointer });
  return Object.assign(new Error(j.message), { name: j.name ?? 'Error', ...(j.code ? { code: j.code } : {}) });
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** First delay in ms, doubled each time. */
  delayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `f`, retrying transient failures with exponential backoff; other failures pass through at once. */
export async function withRetry<T>(f: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 4;
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= attempts || !isTransient(e)) throw e;
      await (o.sleep ?? sleep)((o.delayMs ?? 500) * 2 ** (i - 1));
    }
  }
}
