// Queue slots in the store, for a driver that keeps no queue in memory (Workflows): one write-once object per
// unfinished job under its tenant's prefix and under its client address's, counted by listing the two prefixes.
import { sha256Hex } from '../attest';
import { isId, keys, type QueueKind } from '../storage/keys';
import { listAll, type Store } from '../storage/store';
import { isFinished, readRecord, toJsonBytes } from './record';
import type { JobOwner } from './types';

const KINDS: readonly QueueKind[] = ['tenant', 'client'];
/** Records read at once while counting (Workers allow 6 open connections per invocation). */
const READS_AT_ONCE = 6;

/** Owner names (`key:<id>`, `addr:2001:db8::/64`, ...) are not key-safe: a prefix is named by their digest. */
const digests = async (owner: JobOwner): Promise<Record<QueueKind, string>> =>
  ({ tenant: await sha256Hex(`tenant:${owner.tenant}`), client: await sha256Hex(`client:${owner.client}`) });

/** The keys of a job's two slots: its tenant's, its client address's. */
export const slotKeys = async (jobId: string, owner: JobOwner): Promise<string[]> => {
  const d = await digests(owner);
  return KINDS.map((kind) => keys.queueSlot(kind, d[kind], jobId));
};

/** Takes the job's two slots; its record must be written first (a slot without a record counts as left behind). */
export async function holdSlots(store: Store, jobId: string, owner: JobOwner): Promise<void> {
  for (const key of await slotKeys(jobId, owner)) await store.putIfAbsent(key, toJsonBytes({ job: jobId }), { contentType: 'application/json' });
}

/** Gives the job's slots back (idempotent: a replayed release deletes nothing). */
export async function releaseSlots(store: Store, jobId: string, owner: JobOwner): Promise<void> {
  for (const key of await slotKeys(jobId, owner)) await store.delete(key);
}

/**
 * Unfinished jobs of the owner's tenant and of its client address: the slots whose job record is queued or running.
 * A slot left behind (an instance ended without its release step, a start the runner refused) is not counted, and is
 * deleted here. A record that cannot be read is counted: a cap errs on the side of refusing.
 */
export async function countSlots(store: Store, owner: JobOwner): Promise<{ tenant: number; client: number }> {
  const d = await digests(owner);
  const held = await Promise.all(KINDS.map(async (kind) => {
    const found = await listAll(store, keys.queuePrefix(kind, d[kind]));
    return found.map((k) => k.slice(k.lastIndexOf('/') + 1)).filter(isId);
  }));
  const live = await liveJobs(store, [...new Set(held.flat())]);
  const stale = held.flatMap((ids, i) => ids.filter((id) => !live.has(id)).map((id) => keys.queueSlot(KINDS[i]!, d[KINDS[i]!], id)));
  await Promise.all(stale.map((k) => store.delete(k).catch(() => undefined)));
  return { tenant: held[0]!.filter((id) => live.has(id)).length, client: held[1]!.filter((id) => live.has(id)).length };
}

/** The ids among `ids` whose job is unfinished (or unreadable), reading a few records at a time. */
async function liveJobs(store: Store, ids: string[]): Promise<Set<string>> {
  const live = new Set<string>();
  let next = 0;
  const lane = async () => {
    for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
      const r = await readRecord(store, id).catch(() => 'unreadable' as const);
      if (r === 'unreadable' || (r && !isFinished(r))) live.add(id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, ids.length) }, lane));
  return live;
}
