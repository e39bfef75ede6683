// The API inside the real workerd runtime: the Worker entry through SELF, and createApp with the wasm engine.
import { SELF } from 'cloudflare:test';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { generateSigningKey } from '../../src/attest/ed25519';
import { configFromEnv } from '../../src/config';
import { initEngine } from '../../src/engine/backend';
import { MemoryStore } from '../../src/storage/memory';
import { buildLayersModel } from '../helpers/models';

const BASE = 'https://qaudit.test';

describe('Worker entry', () => {
  it('answers health and the OpenAPI document', async () => {
    const res = await SELF.fetch(`${BASE}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
    const doc = await (await SELF.fetch(`${BASE}/openapi.json`)).json() as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });

  it('publishes the public half of the SIGNING_KEY binding, never its private part', async () => {
    const jwks = await (await SELF.fetch(`${BASE}/v1/keys`)).json() as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(jwks.keys[0]!.d).toBeUndefined();
  });

  it('answers errors as problem+json: bad id, unknown route, writes without an API key', async () => {
    const bad = await SELF.fetch(`${BASE}/v1/audits/nope`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(await bad.json()).toMatchObject({ field: 'path.id', code: 'invalid_request' });
    expect((await SELF.fetch(`${BASE}/v2/nothing`)).status).toBe(404);
    const write = await SELF.fetch(`${BASE}/v1/audits`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.5' } });
    expect(write.status).toBe(401);
    expect(await write.json()).toMatchObject({ code: 'unauthorized' });
  });
});

describe('createApp in workerd', () => {
  it('uploads a tiny model (validated by the wasm engine), the same id twice, and serves the signing key', async () => {
    const signer = await generateSigningKey();
    const app = createApp({
      store: new MemoryStore(), signer, config: configFromEnv({ API_KEYS: 'worker-test-key-0123456789' }),
      driver: { start: async () => {}, cancel: async () => {} },
      startEngine: () => initEngine(wasm),
      clientAddress: (c) => c.req.header('cf-connecting-ip'),
    });
    const m = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }], { inputShape: [4, 4, 1], seed: 3 });
    const upload = () => {
      const form = new FormData();
      form.append('model', new File([JSON.stringify(m.json)], 'model.json'));
      for (const [name, bytes] of m.shards) form.append('shard', new File([bytes as Uint8Array<ArrayBuffer>], name));
      return app.request('/v1/models', { method: 'POST', body: form, headers: { authorization: 'Bearer worker-test-key-0123456789' } });
    };
    const first = await upload();
    expect(first.status).toBe(201);
    const a = await first.json() as { id: string; summary: { parameters: number; removedSoftmax: boolean } };
    expect(a.summary).toMatchObject({ parameters: 51, removedSoftmax: true });
    const second = await upload();
    expect(second.status).toBe(200);
    expect((await second.json() as { id: string }).id).toBe(a.id);
    const jwks = await (await app.request('/v1/keys')).json() as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([signer.kid]);
  });
});
