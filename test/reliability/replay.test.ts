// Webhook replay protection lives in the store: a delivery accepted by one instance is refused by another and
// after a restart, and of two instances racing on one delivery over a real s3rver exactly one wins.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fetcher } from '../../src/routes/fetcher';
import { StoreReplayGuard } from '../../src/routes/hooks';
import { MemoryStore } from '../../src/storage/memory';
import { S3Store } from '../../src/storage/s3';
import { makeApp, mnistModel, problem } from '../routes/_app';
import { listAll, RestartableS3 } from './_server';

const ML_SECRET = 'mlflow-secret-for-replay';
const URL_ = 'https://huggingface.co/acme/m/resolve/main/model.json';

function hub(): Fetcher {
  const model = mnistModel(3);
  const base = URL_.slice(0, URL_.lastIndexOf('/') + 1);
  const files = new Map<string, Uint8Array>([[URL_, model.json], ...[...model.files].map(([n, b]) => [`${base}${n}`, b] as [string, Uint8Array])]);
  return async (url) => new Response(files.get(url) as Uint8Array<ArrayBuffer> | undefined ?? null, { status: files.has(url) ? 200 : 404 });
}

function delivery(id: string) {
  const raw = JSON.stringify({ entity: 'model_version', action: 'created', data: { tags: { 'qaudit.model_url': URL_ } } });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', ML_SECRET).update(`${id}.${ts}.${raw}`).digest('base64');
  return { method: 'POST', body: raw, addr: '203.0.113.9', headers: { 'content-type': 'application/json', 'x-mlflow-delivery-id': id, 'x-mlflow-timestamp': ts, 'x-mlflow-signature': `v1,${sig}` } };
}

describe('webhook replay protection', () => {
  it('refuses a delivery replayed to another instance or after a restart (shared store), and starts one audit', async () => {
    const store = new MemoryStore();
    const first = await makeApp({ MLFLOW_WEBHOOK_SECRET: ML_SECRET }, { store, fetcher: hub() });
    const again = await makeApp({ MLFLOW_WEBHOOK_SECRET: ML_SECRET }, { store, fetcher: hub() }); // another instance, or the same after a restart
    const d = delivery('delivery-42');
    expect((await first.req('/v1/hooks/mlflow', d)).status).toBe(202);
    expect(await problem(await again.req('/v1/hooks/mlflow', d))).toMatchObject({ status: 409, code: 'replayed' });
    expect(await problem(await first.req('/v1/hooks/mlflow', d))).toMatchObject({ status: 409, code: 'replayed' });
    expect(first.driver.started.length + again.driver.started.length).toBe(1);
  });

  it('releases the claim when processing failed, so that the sender\'s retry succeeds', async () => {
    const store = new MemoryStore();
    let down = true;
    const good = hub();
    const t = await makeApp({ MLFLOW_WEBHOOK_SECRET: ML_SECRET }, { store, fetcher: (u, i) => (down ? Promise.resolve(new Response('', { status: 503 })) : good(u, i)) });
    const d = delivery('delivery-7');
    expect((await t.req('/v1/hooks/mlflow', d)).status).toBe(502);
    down = false;
    expect((await t.req('/v1/hooks/mlflow', d)).status).toBe(202);
  });

  describe('on a real s3rver', () => {
    let s3: RestartableS3;
    beforeAll(async () => { s3 = await RestartableS3.start(); }, 20_000);
    afterAll(async () => { await s3?.destroy(); });

    it('lets exactly one of many racing store clients of one process claim a delivery (s3rver ignores If-None-Match), and keeps one object per delivery', { timeout: 30_000 }, async () => {
      const stores = Array.from({ length: 6 }, () => new S3Store(s3.config));
      const wins = await Promise.all(stores.map((st) => new StoreReplayGuard(st).claim('mlflow:race-1', Date.now())));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await new StoreReplayGuard(stores[0]!).claim('mlflow:race-1', Date.now())).toBe(false);
      expect(await listAll(stores[0]!, 'hooks/deliveries/')).toHaveLength(1);
      for (const st of stores) st.close();
    });
  });
});
