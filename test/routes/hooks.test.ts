import { describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Fetcher } from '../../src/routes/fetcher';
import { makeApp, mnistModel, problem } from './_app';

const SHA = 'c'.repeat(40);
const HF_SECRET = 'hf-secret-value';
const ML_SECRET = 'mlflow-secret-value';
const ENV = { HF_WEBHOOK_SECRET: HF_SECRET, MLFLOW_WEBHOOK_SECRET: ML_SECRET };

/** Serves a model under `base` (model.json + shards); records every URL asked for. */
function fakeHub(base: string) {
  const model = mnistModel(7);
  const files = new Map<string, Uint8Array>([[`${base}model.json`, model.json], ...[...model.files].map(([n, b]) => [`${base}${n}`, b] as [string, Uint8Array])]);
  const calls: string[] = [];
  const fetcher: Fetcher = async (url) => {
    calls.push(url);
    const body = files.get(url);
    return body ? new Response(body as Uint8Array<ArrayBuffer>) : new Response('missing', { status: 404 });
  };
  return { fetcher, calls };
}

const hfEvent = { event: { action: 'update', scope: 'repo.content' }, repo: { type: 'model', name: 'acme/mnist-q4', headSha: SHA } };
const hfPost = (body: unknown, secret = HF_SECRET) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-webhook-secret': secret }, addr: '203.0.113.9' });

function mlflowPost(body: unknown, opts: { delivery?: string; ts?: number; secret?: string } = {}) {
  const raw = JSON.stringify(body);
  const delivery = opts.delivery ?? 'd-1';
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', opts.secret ?? ML_SECRET).update(`${delivery}.${ts}.${raw}`).digest('base64');
  return { method: 'POST', body: raw, addr: '203.0.113.9', headers: { 'content-type': 'application/json', 'x-mlflow-delivery-id': delivery, 'x-mlflow-timestamp': ts, 'x-mlflow-signature': `v1,${sig}` } };
}
const mlEvent = (url: string) => ({ entity: 'model_version', action: 'created', timestamp: 'now', data: { name: 'm', version: '3', source: 'models:/m/3', tags: { 'qaudit.model_url': url } } });

describe('POST /v1/hooks/huggingface', () => {
  it('fetches the new revision, stores it and starts an audit', async () => {
    const hub = fakeHub(`https://huggingface.co/acme/mnist-q4/resolve/${SHA}/`);
    const t = await makeApp(ENV, { fetcher: hub.fetcher });
    const res = await t.req('/v1/hooks/huggingface', hfPost(hfEvent));
    expect(res.status).toBe(202);
    const body = await res.json() as { accepted: boolean; model: string; audit: string };
    expect(body.accepted).toBe(true);
    expect(hub.calls[0]).toBe(`https://huggingface.co/acme/mnist-q4/resolve/${SHA}/model.json`);
    expect(t.driver.started).toEqual([[body.audit, 'audit']]);
    expect((await t.req(`/v1/models/${body.model}`)).status).toBe(200);
    // A pull-request comment body: the report and the model card block (model-index YAML) once the audit is done.
    const { comment } = body as unknown as { comment: string };
    expect(comment).toContain(`/v1/audits/${body.audit}/report.html`);
    expect(comment).toContain(`/v1/audits/${body.audit}/model-card.md?name=acme%2Fmnist-q4`);
    // The same revision again starts nothing.
    const again = await t.req('/v1/hooks/huggingface', hfPost(hfEvent));
    expect(await again.json()).toMatchObject({ accepted: false });
    expect(t.driver.started).toHaveLength(1);
  });

  it('audits a repository that holds model.onnx (model.json answered 404): the file itself, by its sha256sum', async () => {
    const onnx = new Uint8Array(readFileSync('test/fixtures/models/resnet-mnist/onnx/model-int8.onnx'));
    const base = `https://huggingface.co/acme/mnist-q4/resolve/${SHA}/`;
    const calls: string[] = [];
    const fetcher: Fetcher = async (url) => {
      calls.push(url);
      return url === `${base}model.onnx` ? new Response(onnx as Uint8Array<ArrayBuffer>) : new Response('missing', { status: 404 });
    };
    const t = await makeApp(ENV, { fetcher });
    const res = await t.req('/v1/hooks/huggingface', hfPost(hfEvent));
    expect(res.status).toBe(202);
    const body = await res.json() as { model: string; audit: string };
    expect(calls).toEqual([`${base}model.json`, `${base}model.onnx`]);
    expect(body.model).toBe(createHash('sha256').update(onnx).digest('hex'));
    expect(t.driver.started).toEqual([[body.audit, 'audit']]);
    const model = await (await t.req(`/v1/models/${body.model}`)).json() as { summary: { weights: { storedAs: string }[] } };
    expect(model.summary.weights.some((w) => w.storedAs === 'int8')).toBe(true);
  });

  it('answers 401 to a wrong secret and does nothing else', async () => {
    const hub = fakeHub(`https://huggingface.co/acme/mnist-q4/resolve/${SHA}/`);
    const t = await makeApp(ENV, { fetcher: hub.fetcher });
    expect(await problem(await t.req('/v1/hooks/huggingface', hfPost(hfEvent, 'wrong')))).toMatchObject({ status: 401 });
    expect(hub.calls).toEqual([]);
    expect((await t.store.list('')).keys).toEqual([]);
  });

  it('ignores events that are not a new model version', async () => {
    const hub = fakeHub('https://huggingface.co/');
    const t = await makeApp(ENV, { fetcher: hub.fetcher });
    const res = await t.req('/v1/hooks/huggingface', hfPost({ ...hfEvent, repo: { ...hfEvent.repo, type: 'dataset' } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: false });
    expect(hub.calls).toEqual([]);
  });

  it('is 404 when no secret is configured', async () => {
    const t = await makeApp();
    expect(await problem(await t.req('/v1/hooks/huggingface', hfPost(hfEvent)))).toMatchObject({ status: 404, code: 'not_configured' });
  });
});

describe('POST /v1/hooks/mlflow', () => {
  const url = 'https://models.huggingface.co/m/3/model.json';

  it('starts an audit for a signed model_version.created and refuses the replayed delivery', async () => {
    const hub = fakeHub('https://models.huggingface.co/m/3/');
    const t = await makeApp(ENV, { fetcher: hub.fetcher });
    const res = await t.req('/v1/hooks/mlflow', mlflowPost(mlEvent(url)));
    expect(res.status).toBe(202);
    expect(t.driver.started).toHaveLength(1);
    const replay = await t.req('/v1/hooks/mlflow', mlflowPost(mlEvent(url)));
    expect(await problem(replay)).toMatchObject({ status: 409, code: 'replayed' });
    expect(t.driver.started).toHaveLength(1);
  });

  it.each([
    ['a wrong secret', { secret: 'nope' }],
    ['a stale timestamp', { ts: Math.floor(Date.now() / 1000) - 3600 }],
    ['a future timestamp', { ts: Math.floor(Date.now() / 1000) + 3600 }],
  ])('answers 401 to %s and stores nothing', async (_, opts) => {
    const hub = fakeHub('https://models.huggingface.co/m/3/');
    const t = await makeApp(ENV, { fetcher: hub.fetcher });
    expect(await problem(await t.req('/v1/hooks/mlflow', mlflowPost(mlEvent(url), opts)))).toMatchObject({ status: 401 });
    expect(hub.calls).toEqual([]);
    expect((await t.store.list('')).keys).toEqual([]);
  });

  it('answers 401 to a body changed after signing', async () => {
    const t = await makeApp(ENV, { fetcher: fakeHub('https://x.huggingface.co/').fetcher });
    const signed = mlflowPost(mlEvent(url));
    expect((await t.req('/v1/hooks/mlflow', { ...signed, body: (signed.body as string).replace('"3"', '"4"') })).status).toBe(401);
  });

  it('refuses a model URL outside the allowlist or on a private address (422), fetching nothing', async () => {
    const hub = fakeHub('https://evil.example.com/');
    const t = await makeApp(ENV, { fetcher: hub.fetcher });
    const p = await problem(await t.req('/v1/hooks/mlflow', mlflowPost(mlEvent('https://evil.example.com/model.json'), { delivery: 'd-2' })));
    expect(p).toMatchObject({ status: 422, code: 'fetch_refused' });
    const p2 = await problem(await t.req('/v1/hooks/mlflow', mlflowPost(mlEvent('https://127.0.0.1/model.json'), { delivery: 'd-3' })));
    expect(p2).toMatchObject({ status: 422, code: 'fetch_refused' });
    expect(hub.calls).toEqual([]);
  });
});
