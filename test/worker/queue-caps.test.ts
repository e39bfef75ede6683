// Queue caps on Workers, in the real workerd runtime: the Worker entry (SELF) with its Workflow binding and s3rver.
// The instances are made to end at once without touching their jobs (introspection mocks), so every job stays
// queued and holds its queue slots: the 21st unfinished job of a key, or of an address, is refused with a 429.
// Its own file: one workflow introspector per file.
import { env, introspectWorkflow, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/config';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { Rng } from '../../src/engine/rng';
import { readRecord, updateRecord } from '../../src/jobs/record';
import { releaseSlots, slotKeys } from '../../src/jobs/slots';
import { s3ConfigFromEnv } from '../../src/storage/config';
import { keys } from '../../src/storage/keys';
import { S3Store } from '../../src/storage/s3';
import { buildLayersModel } from '../helpers/models';
import { WORKER_API_KEY, WORKER_CAP_KEY } from './_env';

const BASE = 'https://qaudit.test';
// Addresses of this file only (TEST-NET-3), so that no other file's jobs count against them, nor these against theirs.
const HOME = '203.0.113.21', AWAY = '203.0.113.22';
const call = (path: string, key: string, addr: string, init: RequestInit = {}) => SELF.fetch(`${BASE}${path}`, {
  ...init, headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': addr, ...(init.headers as Record<string, string>) },
});

async function uploads(): Promise<{ model: string; data: string }> {
  const m = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 3 }], { inputShape: [4, 4, 1], seed: 21 });
  const form = new FormData();
  form.append('model', new File([JSON.stringify(m.json)], 'model.json'));
  for (const [name, bytes] of m.shards) form.append('shard', new File([bytes as Uint8Array<ArrayBuffer>], name));
  const model = await call('/v1/models', WORKER_CAP_KEY, HOME, { method: 'POST', body: form });
  expect(model.status).toBeLessThan(300);
  const r = new Rng(21, 'queue-caps');
  const npz = datasetToNpz({ name: 'q', x: Uint8Array.from({ length: 16 * 16 }, () => r.int(256)), y: Int32Array.from({ length: 16 }, (_, i) => i % 3), shape: [16, 4, 4, 1] });
  const data = await call('/v1/datasets', WORKER_CAP_KEY, HOME, { method: 'POST', body: npz as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } });
  expect(data.status).toBeLessThan(300);
  return { model: ((await model.json()) as { id: string }).id, data: ((await data.json()) as { id: string }).id };
}

describe('queue caps on Workers (workerd, real Workflow binding, s3rver)', () => {
  it('refuses the 21st unfinished job of a key and of an address, and drops the slots of a job that ended', { timeout: 300_000 }, async () => {
    const { limits } = configFromEnv(env);
    expect([limits.queuedPerKey, limits.queuedPerAddress]).toEqual([20, 20]);
    const store = new S3Store(s3ConfigFromEnv(env as Record<string, string>)!);
    const wf = await introspectWorkflow(env.AUDIT_WORKFLOW);
    const ids: string[] = [];
    try {
      await wf.modifyAll(async (m) => {
        // An empty plan, a report and a release that do nothing: the instance ends, its job stays queued.
        await m.mockStepResult({ name: 'prepare' }, { jobId: 'mocked', chunks: [] });
        await m.mockStepResult({ name: 'report' }, true);
        await m.mockStepResult({ name: 'release' }, true);
      });
      const { model, data } = await uploads();
      const body = JSON.stringify({ model, data, attacks: ['fgsm'], epsilons: [0.3], bits: [2], limit: 16, chunkSize: 16, sanity: false, examples: 0 });
      const audit = (key: string, addr: string) => call('/v1/audits', key, addr, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const accepted = async (res: Response) => {
        expect(res.status, await res.clone().text()).toBe(202);
        ids.push(((await res.json()) as { id: string }).id);
      };
      for (let i = 0; i < limits.queuedPerKey; i++) await accepted(await audit(WORKER_CAP_KEY, HOME));
      // Two slots per job in the bucket, and every job still queued.
      for (const id of ids) for (const k of await slotKeys(id, (await readRecord(store, id))!.owner!)) expect(await store.head(k), k).not.toBeNull();
      expect(new Set(await Promise.all(ids.map(async (id) => (await readRecord(store, id))!.status)))).toEqual(new Set(['queued']));

      const overKey = await audit(WORKER_CAP_KEY, AWAY);
      expect(overKey.status).toBe(429);
      const p = (await overKey.json()) as { code: string; detail: string };
      expect(p.code).toBe('too_many_jobs');
      expect(p.detail).toMatch(/20 unfinished jobs for this API key \(at most 20\)/);
      const overAddress = (await (await audit(WORKER_API_KEY, HOME)).json()) as { code: string; detail: string };
      expect(overAddress.code).toBe('too_many_jobs');
      expect(overAddress.detail).toMatch(/from this address \(at most 20\)/);

      // One job ended without its release step (an instance terminated): its slots are not counted, and the count
      // (of this key and this address, where they lie) deletes them.
      const ended = ids[0]!;
      const owner = (await readRecord(store, ended))!.owner!;
      await updateRecord(store, ended, (r) => ({ ...r, status: 'failed', error: { code: 'internal_error', message: 'ended' } }));
      await accepted(await audit(WORKER_CAP_KEY, HOME));
      for (const k of await slotKeys(ended, owner)) expect(await store.head(k), k).toBeNull();
    } finally {
      await wf.dispose();
      // The jobs were never run: remove them and their slots, so that no other test sees them.
      for (const id of ids) {
        const r = await readRecord(store, id).catch(() => null);
        if (r?.owner) await releaseSlots(store, id, r.owner);
        await store.delete(keys.jobState(id));
      }
      store.close();
    }
  });
});
