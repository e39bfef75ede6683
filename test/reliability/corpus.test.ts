// The hostile input corpus against the real app over HTTP on a real s3rver: every case is a 4xx problem+json, the
// server still answers and nothing is left in the bucket. Memory through the zip bombs is measured in a server
// process of its own: memory.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_VERSION } from '../../src/routes/ingest';
import { multipart, tinyModel } from '../routes/_app';
import { listAll, startRelServer, type RelServer } from './_server';
import { CORPUS, JSON_LIMIT, prepareCorpus, UPLOAD_LIMIT } from './corpus';

describe('hostile input corpus over HTTP', () => {
  let s: RelServer;
  beforeAll(async () => {
    prepareCorpus();
    s = await startRelServer({ env: { MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT), MAX_JSON_BYTES: String(JSON_LIMIT) } });
  }, 60_000);
  afterAll(async () => { await s?.close(); });

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { body, type } = c.body();
    const headers: Record<string, string> = {};
    if (type !== undefined) headers['content-type'] = type;
    const res = await fetch(s.url + c.path, { method: 'POST', body, headers });
    const text = await res.text();
    expect(res.headers.get('content-type'), text).toBe('application/problem+json');
    const p = JSON.parse(text) as { status: number; code: string; detail: string };
    expect({ status: res.status, code: p.code }, p.detail).toEqual({ status: c.status, code: expect.toBeOneOf(c.code) });
    expect(p.status).toBe(res.status);
    // No internals: no stack frames, no file paths of this machine.
    expect(p.detail).not.toMatch(/\n\s+at |\/work\/|node_modules|\.ts:\d+/);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect(await listAll(s.store, 'models/')).toEqual([]);
    expect(await listAll(s.store, 'datasets/')).toEqual([]);
    expect(await listAll(s.store, 'jobs/')).toEqual([]);
  });

  it('still takes a valid upload after the whole corpus', async () => {
    const res = await fetch(`${s.url}/v1/models`, { method: 'POST', body: multipart(tinyModel(11)) });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(await listAll(s.store, 'models/')).toEqual([`models/${id}/model.json`, `models/${id}/summary-v${SUMMARY_VERSION}.json`, `models/${id}/weights/0.bin`]);
  });
});
