// Reading job records for the API: one kind at a time, paginated by id, with a 404 for ids of another kind.
import { isFinished, readRecord } from '../jobs/record';
import type { JobKind, JobRecord } from '../jobs/types';
import { keys } from '../storage/keys';
import type { Store } from '../storage/store';
import { ProblemError } from './problem';

const NOUN: Record<JobKind, string> = { audit: 'an audit', retrain: 'a retraining job' };

export async function readJob(store: Store, id: string, kind: JobKind): Promise<JobRecord> {
  const rec = await readRecord(store, id);
  if (!rec) throw new ProblemError(404, 'not_found', `expected ${NOUN[kind]} ${id}, got none`, 'path.id');
  if (rec.kind !== kind) throw new ProblemError(404, 'not_found', `expected ${NOUN[kind]} ${id}, got a job of another kind`, 'path.id');
  return rec;
}

/** A job that cancel may still stop (409 once it has finished). */
export async function readUnfinishedJob(store: Store, id: string, kind: JobKind): Promise<JobRecord> {
  const rec = await readJob(store, id, kind);
  if (isFinished(rec)) throw new ProblemError(409, 'already_finished', `expected a queued or running ${NOUN[kind].replace(/^an? /, '')}, got one that is ${rec.status}`, 'path.id');
  return rec;
}

/**
 * Records of one kind in id order after `after`. A job folder holds its step objects (checkpoints/, chunks/) before
 * state.json, so on meeting one the listing jumps past that folder (the store's cursor is the last key seen,
 * docs/storage.md): '0' sorts right after '/'.
 */
export async function listJobs(store: Store, kind: JobKind, after: string | undefined, limit: number): Promise<{ items: JobRecord[]; next?: string }> {
  const items: JobRecord[] = [];
  let cursor = after ? keys.jobState(after) : undefined;
  for (;;) {
    const page = await store.list('jobs/', { cursor, limit: 1000 });
    let skipTo: string | undefined;
    for (const k of page.keys) {
      const m = /^jobs\/([0-9a-f]{32})\/([^/]+)(\/)?/.exec(k);
      if (!m) continue;
      if (m[3]) {
        skipTo = `jobs/${m[1]}/${m[2]}0`;
        break;
      }
      if (m[2] !== 'state.json') continue;
      const rec = await readRecord(store, m[1]!);
      if (rec?.kind !== kind) continue;
      if (items.length === limit) return { items, next: items[items.length - 1]!.id };
      items.push(rec);
    }
    if (skipTo) { cursor = skipTo; continue; }
    if (!page.cursor) return { items };
    cursor = page.cursor;
  }
}
