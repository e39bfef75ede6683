import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { keys } from '../../src/storage/keys';
import { makeApp, mnistModel, multipart, problem, tinyModel, zipOf } from './_app';

const sha = (...parts: Uint8Array[]) => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest('hex'); };

describe('POST /v1/models', () => {
  it('stores a multipart upload under its content digest and answers its summary', async () => {
    const t = await makeApp();
    const model = tinyModel(1, 2);
    const res = await t.req('/v1/models', { method: 'POST', body: multipart(model) });
    expect(res.status).toBe(201);
    const body = await res.json() as { id: string; created: boolean; summary: { parameters: number; layers: unknown[]; bits: number | null; numClasses: number } };
    const shards = ['group1-shard1of2.bin', 'group1-shard2of2.bin'].map((n) => model.files.get(n)!);
    expect(body.id).toBe(sha(model.json, ...shards));
    expect(body.summary.parameters).toBe(16 * 3 + 3);
    expect(body.summary.numClasses).toBe(3);
    expect(body.summary.bits).toBeNull();
    expect(res.headers.get('location')).toBe(`/v1/models/${body.id}`);
    expect(await t.store.get(keys.modelJson(body.id))).toEqual(model.json);
    expect(await t.store.get(keys.modelShard(body.id, 1))).toEqual(shards[1]);
  });

  it('gives the same id for the same model twice, as multipart or zip', async () => {
    const t = await makeApp();
    const model = tinyModel(2);
    const a = await (await t.req('/v1/models', { method: 'POST', body: multipart(model) })).json() as { id: string };
    const again = await t.req('/v1/models', { method: 'POST', body: multipart(model) });
    expect(again.status).toBe(200);
    expect((await again.json() as { id: string; created: boolean })).toMatchObject({ id: a.id, created: false });
    const zip = zipOf({ 'mnist/model.json': model.json, ...Object.fromEntries([...model.files].map(([n, b]) => [`mnist/${n}`, b])) });
    const z = await t.req('/v1/models', { method: 'POST', body: zip, headers: { 'content-type': 'application/zip' } });
    expect(z.status).toBe(200);
    expect((await z.json() as { id: string }).id).toBe(a.id);
    const other = await (await t.req('/v1/models', { method: 'POST', body: multipart(tinyModel(3)) })).json() as { id: string };
    expect(other.id).not.toBe(a.id);
  });

  it.each([
    ['path traversal', { '../model.json': new Uint8Array(2) }, 'folder/name'],
    ['nested folders', { 'a/b/model.json': new Uint8Array(2) }, 'folder/name'],
    ['two folders', { 'a/model.json': new Uint8Array(2), 'b/w.bin': new Uint8Array(2) }, 'one folder'],
    ['no model.json', { 'weights.bin': new Uint8Array(2) }, 'model.json'],
  ])('refuses a zip with %s (422)', async (_, entries, words) => {
    const t = await makeApp();
    const res = await t.req('/v1/models', { method: 'POST', body: zipOf(entries as Record<string, Uint8Array>), headers: { 'content-type': 'application/zip' } });
    const p = await problem(res);
    expect(p.status).toBe(422);
    expect(p.detail).toContain(words);
    expect(await t.store.list('models/')).toEqual({ keys: [] });
  });

  it('refuses too many zip entries and oversized declared sizes before inflating', async () => {
    const t = await makeApp({ MAX_ZIP_ENTRIES: '3', MAX_UPLOAD_BYTES: '20000' });
    const many = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`f${i}.bin`, new Uint8Array(1)]));
    const p1 = await problem(await t.req('/v1/models', { method: 'POST', body: zipOf(many), headers: { 'content-type': 'application/zip' } }));
    expect(p1).toMatchObject({ status: 422, code: 'limit_exceeded' });
    // 100 kB of zeros deflates to a few hundred bytes: the body is small, the declared size is not.
    const bomb = zipOf({ 'model.json': new Uint8Array(100_000) });
    expect(bomb.length).toBeLessThan(20000);
    const p2 = await problem(await t.req('/v1/models', { method: 'POST', body: bomb, headers: { 'content-type': 'application/zip' } }));
    expect(p2).toMatchObject({ status: 413, code: 'too_large' });
  });

  it('answers 413 for a body over the upload limit, 415 for another content type, 422 for a broken model', async () => {
    const t = await makeApp({ MAX_UPLOAD_BYTES: '2048' });
    const big = await t.req('/v1/models', { method: 'POST', body: new Uint8Array(4096) as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/zip' } });
    expect(await problem(big)).toMatchObject({ status: 413, field: 'body' });
    const text = await t.req('/v1/models', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(await problem(text)).toMatchObject({ status: 415, field: 'header.content-type' });
    const model = tinyModel();
    model.files.set('group1-shard1of1.bin', new Uint8Array(8));
    const broken = await problem(await t.req('/v1/models', { method: 'POST', body: multipart(model) }));
    expect(broken).toMatchObject({ status: 422, code: 'invalid_model' });
    expect(broken.detail).toMatch(/expected \d+ bytes/);
  });

  it('refuses files the manifest does not name', async () => {
    const t = await makeApp();
    const model = mnistModel();
    model.files.set('extra.bin', new Uint8Array(4));
    const p = await problem(await t.req('/v1/models', { method: 'POST', body: multipart(model) }));
    expect(p).toMatchObject({ status: 422, code: 'invalid_upload' });
    expect(p.detail).toContain('extra.bin');
  });
});

describe('GET /v1/models/{id}', () => {
  it('answers a stored model, 404 for an unknown one and 400 naming a malformed id', async () => {
    const t = await makeApp();
    const up = await (await t.req('/v1/models', { method: 'POST', body: multipart(tinyModel()) })).json() as { id: string; summary: unknown };
    const got = await t.req(`/v1/models/${up.id}`);
    expect(got.status).toBe(200);
    expect((await got.json() as { summary: unknown }).summary).toEqual(up.summary);
    expect(await problem(await t.req(`/v1/models/${'0'.repeat(64)}`))).toMatchObject({ status: 404 });
    expect(await problem(await t.req('/v1/models/nope'))).toMatchObject({ status: 400, field: 'path.id' });
  });
});
