// Security sweep: every write route needs auth, model URLs never reach loopback or private addresses, secrets never
// appear in answers or logs, report ids are unguessable, and rate limits hold over real HTTP. Complements
// test/routes/security.test.ts, hooks.test.ts and fetcher.test.ts.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeApp, multipart, tinyModel } from '../routes/_app';
import { startRelServer } from './_server';

const KEY = 'reliability-api-key-0123456789';
const ML_SECRET = 'mlflow-secret-for-reliability';
const HF_SECRET = 'hf-secret-for-reliability';
const ENV = { API_KEYS: KEY, MLFLOW_WEBHOOK_SECRET: ML_SECRET, HF_WEBHOOK_SECRET: HF_SECRET };

function mlflow(url: string, delivery: string) {
  const raw = JSON.stringify({ entity: 'model_version', action: 'created', data: { tags: { 'qaudit.model_url': url } } });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', ML_SECRET).update(`${delivery}.${ts}.${raw}`).digest('base64');
  return { method: 'POST', body: raw, headers: { 'content-type': 'application/json', 'x-mlflow-delivery-id': delivery, 'x-mlflow-timestamp': ts, 'x-mlflow-signature': `v1,${sig}` } };
}

afterEach(() => { vi.restoreAllMocks(); });

describe('security', () => {
  it('refuses every write route of the OpenAPI document without credentials (401), from any address, and hooks without signatures', async () => {
    const t = await makeApp(ENV);
    const doc = (await (await t.req('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const writes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => [m.toUpperCase(), path.replace(/\{[^}]+\}/g, 'a'.repeat(32))] as const))
      .filter(([, p]) => !p.startsWith('/v1/hooks/')); // webhooks carry their own signatures (test/routes/hooks.test.ts)
    // Every resource that can be written is in the sweep, retraining jobs included.
    for (const must of ['POST /v1/models', 'POST /v1/datasets', 'POST /v1/audits', 'DELETE /v1/audits/', 'POST /v1/retrain-jobs', 'DELETE /v1/retrain-jobs/']) {
      expect(writes.some(([m, p]) => `${m} ${p}`.startsWith(must)), must).toBe(true);
    }
    for (const [method, path] of writes) {
      for (const addr of ['127.0.0.1', '203.0.113.7']) {
        const res = await t.req(path, { method, body: '{}', headers: { 'content-type': 'application/json' }, addr });
        expect([method, path, res.status]).toEqual([method, path, 401]);
      }
    }
    for (const hook of ['/v1/hooks/huggingface', '/v1/hooks/mlflow']) {
      expect((await t.req(hook, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, addr: '203.0.113.7' })).status).toBe(401);
    }
  });

  it.each([
    ['loopback literal', 'https://127.0.0.1/m/model.json', undefined],
    ['IPv6 loopback', 'https://[::1]/model.json', undefined],
    ['cloud metadata', 'https://169.254.169.254/latest/model.json', undefined],
    ['private 10/8', 'https://10.1.2.3/model.json', undefined],
    ['private 192.168/16', 'https://192.168.0.10/model.json', undefined],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/model.json', undefined],
    ['decimal loopback', 'https://2130706433/model.json', undefined],
    ['allowed name resolving to loopback', 'https://models.example.com/model.json', '127.0.0.1'],
    ['allowed name resolving to 172.16/12', 'https://models.example.com/model.json', '172.20.0.5'],
    ['plain http', 'http://models.example.com/model.json', '93.184.216.34'],
  ])('never fetches a model URL on %s (422 fetch_refused)', async (_, url, resolved) => {
    const calls: string[] = [];
    const t = await makeApp({ ...ENV, FETCH_ALLOWED_HOSTS: '*.example.com,127.0.0.1,10.1.2.3,192.168.0.10,169.254.169.254,[::1]' }, {
      fetcher: async (u) => { calls.push(u); return new Response('', { status: 500 }); },
      resolve: async () => (resolved ? [resolved] : []),
    });
    const res = await t.req('/v1/hooks/mlflow', { ...mlflow(url, `d-${url.length}`), addr: '203.0.113.9' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe('fetch_refused');
    expect(calls).toEqual([]);
  });

  it('never echoes a secret or an offered credential in answers or logs', async () => {
    const logged: string[] = [];
    for (const m of ['log', 'error', 'warn', 'info'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => { logged.push(a.map(String).join(' ')); });
    const t = await makeApp(ENV);
    const offered = 'offered-wrong-token-abcdefghijkl';
    const bodies: string[] = [];
    const tries: [string, RequestInit][] = [
      ['/v1/models', { method: 'POST', body: multipart(tinyModel()), headers: { authorization: `Bearer ${offered}` } }],
      ['/v1/models', { method: 'POST', body: multipart(tinyModel()), headers: { authorization: `Basic ${offered}` } }],
      ['/v1/audits', { method: 'POST', body: `{"model":"${offered}"}`, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } }],
      ['/v1/hooks/huggingface', { method: 'POST', body: '{}', headers: { 'x-webhook-secret': offered, 'content-type': 'application/json' } }],
      ['/v1/hooks/mlflow', { method: 'POST', body: '{}', headers: { 'x-mlflow-signature': `v1,${offered}`, 'x-mlflow-delivery-id': 'x', 'x-mlflow-timestamp': '1', 'content-type': 'application/json' } }],
    ];
    for (const [path, init] of tries) {
      const res = await t.req(path, init);
      expect(res.status).toBeGreaterThanOrEqual(400);
      res.headers.forEach((v, k) => bodies.push(`${k}: ${v}`));
      bodies.push(await res.text());
    }
    for (const text of [...bodies, ...logged]) {
      for (const secret of [KEY, ML_SECRET, HF_SECRET, offered]) expect(text).not.toContain(secret);
    }
  });

  it('answers unknown and malformed report ids alike with 404/400, and issues 128-bit random ids', async () => {
    const t = await makeApp();
    for (const tail of ['report', 'report.html', 'report.junit.xml', 'attestation']) {
      expect((await t.req(`/v1/audits/${'0'.repeat(32)}/${tail}`)).status).toBe(404);
      expect((await t.req(`/v1/audits/..%2f..%2fjobs/${tail}`)).status).toBe(400);
    }
    const { newId } = await import('../../src/storage/keys');
    const ids = new Set(Array.from({ length: 1000 }, () => newId()));
    expect(ids.size).toBe(1000);
    expect([...ids].every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
  });

  it('enforces the write rate limit per client over real HTTP (429 with Retry-After)', async () => {
    // A frozen clock: no token comes back however slowly the machine runs the five requests.
    const s = await startRelServer({ env: { RATE_LIMIT_WRITES_PER_MINUTE: '1', RATE_LIMIT_WRITE_BURST: '3' }, extra: { now: () => Date.UTC(2026, 0, 1) } });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${s.url}/v1/audits`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
        await res.body?.cancel();
      }
      expect(statuses).toEqual([400, 400, 400, 429, 429]);
      expect(retryAfter).toBe('60');
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  }, 30_000);
});
