import { describe, expect, it } from 'vitest';
import { keys } from '../../src/storage/keys';
import type { JobRecord } from '../../src/jobs/types';
import { parseAuditRequest } from '../../src/jobs/request';
import { makeApp, mnistModel, post, problem, tinyModel, uploadModel, type TestApp } from './_app';

async function record(t: TestApp, id: string): Promise<JobRecord> {
  return JSON.parse(new TextDecoder().decode((await t.store.get(keys.jobState(id)))!));
}

describe('POST /v1/audits', () => {
  it('queues an audit with canonical defaults and answers 202 with its links', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    const res = await t.req('/v1/audits', post({ model, attacks: ['pgd', 'fgsm', 'pgd'], epsilons: [0.3, 0.1] }));
    expect(res.status).toBe(202);
    const a = await res.json() as { id: string; status: string; links: Record<string, string>; request: { data: string; settings: Record<string, unknown> }; progress: { done: number; total: number } };
    expect(a.status).toBe('queued');
    expect(a.links.report).toBe(`/v1/audits/${a.id}/report`);
    expect(res.headers.get('location')).toBe(`/v1/audits/${a.id}`);
    expect(a.request.data).toBe('mnist');
    expect(a.request.settings).toMatchObject({ attacks: ['fgsm', 'pgd'], epsilons: [0.1, 0.3], bits: [8, 4, 2, 1], limit: 100, seed: 0 });
    expect(a.progress.done).toBe(0);
    expect(a.progress.total).toBeGreaterThan(0);
    expect(t.driver.started).toEqual([[a.id, 'audit']]);
    const rec = await record(t, a.id);
    expect(rec).toMatchObject({ id: a.id, kind: 'audit', status: 'queued', request: { model, dataset: 'mnist' } });
    // The jobs' own request schema accepts what the API wrote.
    expect(parseAuditRequest(rec.request)).toMatchObject({ model });
  });

  it('names the field of a bad request (400)', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    expect(await problem(await t.req('/v1/audits', post({})))).toMatchObject({ status: 400, field: 'body.model' });
    expect(await problem(await t.req('/v1/audits', post({ model, epsilons: [0.1, -1] })))).toMatchObject({ status: 400, field: 'body.epsilons.1' });
    expect(await problem(await t.req('/v1/audits', post({ model, norm: 'linf', epsilons: [2] })))).toMatchObject({ status: 400, field: 'body.epsilons' });
    expect(await problem(await t.req('/v1/audits', post({ model, colour: 'red' })))).toMatchObject({ status: 400, field: 'body' });
    expect(await problem(await t.req('/v1/audits', post({ model, data: 'imagenet' })))).toMatchObject({ status: 400, field: 'body.data' });
    const bad = await t.req('/v1/audits', { method: 'POST', body: '{"model":', headers: { 'content-type': 'application/json' } });
    expect(await problem(bad)).toMatchObject({ status: 400, code: 'invalid_json' });
    const form = await t.req('/v1/audits', { method: 'POST', body: 'model=x', headers: { 'content-type': 'text/plain' } });
    expect(await problem(form)).toMatchObject({ status: 415 });
    expect(t.driver.started).toEqual([]);
  });

  it('answers 404 for an unknown model or data set and 422 when they do not fit', async () => {
    const t = await makeApp();
    expect(await problem(await t.req('/v1/audits', post({ model: 'a'.repeat(64) })))).toMatchObject({ status: 404, field: 'body.model' });
    const mnist = await uploadModel(t);
    expect(await problem(await t.req('/v1/audits', post({ model: mnist, data: 'b'.repeat(64) })))).toMatchObject({ status: 404, field: 'body.data' });
    const small = await uploadModel(t, tinyModel());
    const p = await problem(await t.req('/v1/audits', post({ model: small })));
    expect(p).toMatchObject({ status: 422, code: 'data_mismatch', field: 'body.data' });
    expect(p.detail).toContain('expected x of shape [N, 4, 4, 1]');
  });

  it('enforces the sample and work limits with 422, and 413 on a large JSON body', async () => {
    const t = await makeApp({ MAX_SAMPLES: '50', MAX_WORK: '100000', MAX_JSON_BYTES: '2048' });
    const model = await uploadModel(t, mnistModel());
    expect(await problem(await t.req('/v1/audits', post({ model, limit: 51 })))).toMatchObject({ status: 422, field: 'body.limit' });
    const work = await problem(await t.req('/v1/audits', post({ model, limit: 50 })));
    expect(work).toMatchObject({ status: 422, code: 'limit_exceeded' });
    expect(work.detail).toContain('work units');
    expect((await t.req('/v1/audits', post({ model, limit: 16, attacks: ['fgsm'] }))).status).toBe(202);
    const big = await t.req('/v1/audits', post({ model, pad: 'x'.repeat(4000) }));
    expect(await problem(big)).toMatchObject({ status: 413 });
  });

  it('marks the audit failed and answers 503 when the driver refuses it', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    t.driver.failStart = true;
    expect(await problem(await t.req('/v1/audits', post({ model, attacks: ['fgsm'] })))).toMatchObject({ status: 503, code: 'runner_unavailable' });
    const [key] = (await t.store.list('jobs/')).keys;
    const rec = JSON.parse(new TextDecoder().decode((await t.store.get(key!))!)) as JobRecord;
    expect(rec.status).toBe('failed');
  });
});

describe('GET and DELETE /v1/audits', () => {
  it('shows one audit, 404 for an unknown id, 400 for a malformed one', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    const { id } = await (await t.req('/v1/audits', post({ model, attacks: ['fgsm'] }))).json() as { id: string };
    const got = await t.req(`/v1/audits/${id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id, status: 'queued', progress: { done: 0 } });
    expect(await problem(await t.req(`/v1/audits/${'f'.repeat(32)}`))).toMatchObject({ status: 404 });
    expect(await problem(await t.req('/v1/audits/xyz'))).toMatchObject({ status: 400, field: 'path.id' });
  });

  it('lists every audit once across pages, skipping chunk results', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { id } = await (await t.req('/v1/audits', post({ model, attacks: ['fgsm'], seed: i }))).json() as { id: string };
      ids.push(id);
      for (let c = 0; c < 30; c++) await t.store.put(keys.jobChunk(id, `c${c}`), new Uint8Array(1));
    }
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5; page++) {
      const res = await t.req(`/v1/audits?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const body = await res.json() as { items: { id: string }[]; next?: string };
      seen.push(...body.items.map((a) => a.id));
      if (!body.next) break;
      cursor = body.next;
    }
    expect(seen).toEqual([...ids].sort());
    expect(await problem(await t.req('/v1/audits?limit=0'))).toMatchObject({ status: 400, field: 'query.limit' });
  });

  it('cancels a queued audit (202) and refuses a finished one (409)', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    const { id } = await (await t.req('/v1/audits', post({ model, attacks: ['fgsm'] }))).json() as { id: string };
    expect((await t.req(`/v1/audits/${id}`, { method: 'DELETE' })).status).toBe(202);
    expect(t.driver.canceled).toEqual([id]);
    await t.store.put(keys.jobState(id), new TextEncoder().encode(JSON.stringify({ ...(await record(t, id)), status: 'canceled' })));
    expect(await problem(await t.req(`/v1/audits/${id}`, { method: 'DELETE' }))).toMatchObject({ status: 409 });
    expect(await problem(await t.req(`/v1/audits/${'0'.repeat(32)}`, { method: 'DELETE' }))).toMatchObject({ status: 404 });
  });
});
