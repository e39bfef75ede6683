// .onnx through the API: POST /v1/models with one .onnx file (multipart or zip, with its external data), ids that
// are the file's sha256sum, the summary's storage types, hostile files refused with nothing stored, and an audit
// of an int8 QDQ model (the upload is the `original` variant) through the real runner.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinMnist } from '../../src/data/mnist.node';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { Rng } from '../../src/engine/rng';
import { NodeJobDriver } from '../../src/jobs/runner.node';
import { MemoryStore } from '../../src/storage/memory';
import { bin, makeApp, post, problem, zipOf, type TestApp } from './_app';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url)));
const sha256 = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');

function form(files: Record<string, Uint8Array>): FormData {
  const f = new FormData();
  for (const [name, bytes] of Object.entries(files)) f.append('file', new File([bin(bytes)], name));
  return f;
}
const zipPost = (files: Record<string, Uint8Array>) => ({ method: 'POST', body: zipOf(files), headers: { 'content-type': 'application/zip' } });

interface Info { id: string; created: boolean; summary: { inputShape: number[]; bits: number | null; weights: { name: string; storedAs: string }[] } }

describe('POST /v1/models with .onnx', () => {
  it('stores one .onnx file under its own sha256sum, with its weights\' storage types, once', async () => {
    const t = await makeApp();
    const bytes = fixture('resnet-int8-channel.onnx');
    const res = await t.req('/v1/models', { method: 'POST', body: form({ 'my-model.onnx': bytes }) });
    expect(res.status).toBe(201);
    const info = await res.json() as Info;
    expect(info.id).toBe(sha256(bytes));
    expect(info.summary.inputShape).toEqual([16, 16, 3]);
    expect(info.summary.bits).toBeLessThanOrEqual(8);
    expect(info.summary.weights.some((w) => w.storedAs === 'int8')).toBe(true);
    expect(await (await t.req(`/v1/models/${info.id}`)).json()).toMatchObject({ id: info.id, summary: info.summary });
    const again = await t.req('/v1/models', zipPost({ 'model.onnx': bytes }));
    expect(again.status).toBe(200);
    expect((await again.json() as Info).id).toBe(info.id);
    // A float ONNX model is stored as float32 and gets twins like any float model.
    const float = await (await t.req('/v1/models', { method: 'POST', body: form({ 'resnet.onnx': fixture('resnet.onnx') }) })).json() as Info;
    expect(float.summary.bits).toBeNull();
  });

  it('takes a zip of the .onnx and its external data; its id is `cat model.onnx model.data | sha256sum`', async () => {
    const t = await makeApp();
    const onnx = fixture('external/resnet-int8-channel.onnx'), data = fixture('external/resnet-int8-channel.data');
    const res = await t.req('/v1/models', zipPost({ 'resnet/resnet-int8-channel.onnx': onnx, 'resnet/resnet-int8-channel.data': data }));
    expect(res.status).toBe(201);
    const info = await res.json() as Info;
    expect(info.id).toBe(sha256(onnx, data));
    // The same weights as the single-file model: the same summary.
    const single = await (await t.req('/v1/models', { method: 'POST', body: form({ 'x.onnx': fixture('resnet-int8-channel.onnx') }) })).json() as Info;
    expect(info.summary).toEqual(single.summary);
  });

  it('refuses hostile and incomplete uploads with a 422 problem+json naming what is wrong, and stores nothing', async () => {
    const t = await makeApp();
    const onnx = fixture('external/resnet-int8-channel.onnx');
    const cases: [RequestInit, string, RegExp][] = [
      [zipPost({ 'm.onnx': onnx }), 'invalid_model', /external data file 'resnet-int8-channel\.data'/],
      [zipPost({ 'm.onnx': fixture('resnet.onnx'), 'notes.txt': new Uint8Array(3) }), 'invalid_upload', /got also 'notes\.txt'/],
      [{ method: 'POST', body: form({ 'a.onnx': fixture('resnet.onnx'), 'b.onnx': fixture('mixed.onnx') }) }, 'invalid_upload', /model\.json, or one \.onnx file/],
      [{ method: 'POST', body: form({ 'm.onnx': fixture('resnet.onnx').subarray(0, 500) }) }, 'invalid_model', /ONNX|protobuf|expected/],
    ];
    for (const name of readdirSync(new URL('../fixtures/onnx/hostile/', import.meta.url)).filter((n) => n !== 'ok.onnx')) {
      cases.push([{ method: 'POST', body: form({ [name]: fixture(`hostile/${name}`) }) }, '', /./]);
    }
    for (const [init, code, detail] of cases) {
      const p = await problem(await t.req('/v1/models', init));
      expect(p.status, p.detail).toBe(422);
      if (code) expect(p.code, p.detail).toBe(code);
      expect(p.detail).toMatch(detail);
    }
    expect((await t.store.list('models/')).keys).toEqual([]);
  });
});

describe('an audit of an int8 QDQ ONNX model through the runner', () => {
  it('audits the upload as `original` with its k-bit twin, on 16x16x3 data labelled by the model', { timeout: 120_000 }, async () => {
    const store = new MemoryStore();
    const base: TestApp = await makeApp();
    const driver = new NodeJobDriver({ store, signingKey: base.signer, builtin: builtinMnist, threads: 0, resume: false });
    try {
      const t = await makeApp({}, { store, driver });
      const up = await t.req('/v1/models', { method: 'POST', body: form({ 'model.onnx': fixture('resnet-int8-channel.onnx') }) });
      const { id: model } = await up.json() as Info;
      const r = new Rng(3, 'onnx-route');
      const npz = datasetToNpz({ name: 'rgb', x: Uint8Array.from({ length: 32 * 16 * 16 * 3 }, () => r.int(256)), y: new Int32Array(32), shape: [32, 16, 16, 3] });
      const { id: data } = await (await t.req('/v1/datasets', { method: 'POST', body: bin(npz), headers: { 'content-type': 'application/octet-stream' } })).json() as { id: string };
      const res = await t.req('/v1/audits', post({ model, data, attacks: ['fgsm', 'pgd'], steps: 5, epsilons: [0.03], bits: [4], limit: 32, labels: 'model' }));
      expect(res.status).toBe(202);
      const { id } = await res.json() as { id: string };
      await driver.idle();
      const audit = await (await t.req(`/v1/audits/${id}`)).json() as { status: string; error?: unknown };
      expect(audit.status, JSON.stringify(audit.error)).toBe('succeeded');
      const report = await (await t.req(`/v1/audits/${id}/report`)).json() as { variants: { name: string }[]; model: { weights: { storedAs: string }[] }; clean: { variant: string; defense: string; accuracy: number }[] };
      expect(report.variants.map((v) => v.name)).toEqual(['original', 'w4']);
      expect(report.model.weights.some((w) => w.storedAs === 'int8')).toBe(true);
      expect(report.clean.find((c) => c.variant === 'original' && c.defense === 'none')!.accuracy).toBe(1);
    } finally {
      await driver.close();
    }
  });
});
