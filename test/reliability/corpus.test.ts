// The hostile input corpus against the real app over HTTP on a real s3rver: every case is a 4xx problem+json, the
// server still answers, nothing is left in the bucket, and memory stays bounded through the zip bombs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_VERSION } from '../../src/routes/ingest';
import { multipart, tinyModel } from '../routes/_app';
import { listAll, startRelServer, type RelServer } from './_server';
import { BOMB_BYTES, CORPUS, JSON_LIMIT, prepareCorpus, UPLOAD_LIMIT } from './corpus';

const MiB = 1024 * 1024;
/** Growth of RSS allowed across one bomb: a quarter of what it would inflate to, far above the real cost. */
const BOMB_RSS_BOUND = BOMB_BYTES / 4;

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
    const before = process.memoryUsage();
    const res = await fetch(s.url + c.path, { method: 'POST', body, headers });
    const text = await res.text();
    const after = process.memoryUsage();
    expect(res.headers.get('content-type'), text).toBe('application/problem+json');
    const p = JSON.parse(text) as { status: number; code: string; detail: string };
    expect({ status: res.status, code: p.code }, p.detail).toEqual({ status: c.status, code: expect.toBeOneOf(c.code) });
    expect(p.status).toBe(res.status);
    // No internals: no stack frames, no file paths of this machine.
    expect(p.detail).not.toMatch(/\n\s+at |\/work\/|node_modules|\.ts:\d+/);
    if (c.memory) {
      const grew = after.rss - before.rss;
      console.log(`[corpus] ${c.name}: rss ${(before.rss / MiB).toFixed(0)} -> ${(after.rss / MiB).toFixed(0)} MiB, heap ${(before.heapUsed / MiB).toFixed(0)} -> ${(after.heapUsed / MiB).toFixed(0)} MiB`);
      expect(grew).toBeLessThan(BOMB_RSS_BOUND);
      expect(after.heapUsed - before.heapUsed).toBeLessThan(BOMB_RSS_BOUND);
    }
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
