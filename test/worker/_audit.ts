// Helpers of the workerd job tests: start a tiny audit through the Worker, find its introspected instance, wait for a job.
import { SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { Rng } from '../../src/engine/rng';
import { buildLayersModel } from '../helpers/models';
import { WORKER_API_KEY } from './_env';

const BASE = 'https://qaudit.test';
const AUTH = { authorization: `Bearer ${WORKER_API_KEY}` };
const call = (path: string, init: RequestInit = {}) => SELF.fetch(`${BASE}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });

export async function startAudit(): Promise<string> {
  const m = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 3 }], { inputShape: [4, 4, 1], seed: 9 });
  const form = new FormData();
  form.append('model', new File([JSON.stringify(m.json)], 'model.json'));
  for (const [name, bytes] of m.shards) form.append('shard', new File([bytes as Uint8Array<ArrayBuffer>], name));
  const model = ((await (await call('/v1/models', { method: 'POST', body: form })).json()) as { id: string }).id;
  const r = new Rng(11, 'retries');
  const npz = datasetToNpz({ name: 'r', x: Uint8Array.from({ length: 16 * 16 }, () => r.int(256)), y: Int32Array.from({ length: 16 }, (_, i) => i % 3), shape: [16, 4, 4, 1] });
  const data = ((await (await call('/v1/datasets', { method: 'POST', body: npz as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } })).json()) as { id: string }).id;
  const res = await call('/v1/audits', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, data, attacks: ['fgsm'], epsilons: [0.3], bits: [2], limit: 16, chunkSize: 16, sanity: false, examples: 0 }) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** The introspected instance of the job just created (the engine registers it asynchronously). */
export async function instanceOf(wf: { get(): { waitForStatus(s: string): Promise<void>; getOutput(): Promise<unknown> }[] }) {
  for (let i = 0; i < 200 && wf.get().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(wf.get()).toHaveLength(1);
  return wf.get()[0]!;
}

export const record = async (id: string) => (await (await call(`/v1/audits/${id}`)).json()) as { status: string; error?: { code: string } };

/** Polls a job until it has finished (the Workflow runs in the same workerd process). */
export async function finished(path: string): Promise<Record<string, any>> {
  for (let i = 0; i < 2400; i++) {
    const job = await (await call(path)).json() as Record<string, any>;
    if (['succeeded', 'failed', 'canceled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected ${path} to finish, got no end`);
}
