// Jobs on Workers end to end in the real workerd runtime: the Worker entry (SELF) with its Workflow binding and
// a real S3 server (s3rver, started by _s3-global.ts), an audit and a retraining job run as Workflow instances.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { zipSync } from 'fflate';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { IMAGE_FIXTURES } from '../engine/data/image-fixtures';
import { Rng } from '../../src/engine/rng';
import { buildLayersModel } from '../helpers/models';
import { WORKER_API_KEY } from './_env';
import { finished } from './_audit';

const BASE = 'https://qaudit.test';
const AUTH = { authorization: `Bearer ${WORKER_API_KEY}` };

const call = (path: string, init: RequestInit = {}) => SELF.fetch(`${BASE}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });
const post = (path: string, body: unknown) => call(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

async function uploads(): Promise<{ model: string; data: string }> {
  const m = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 3 }], { inputShape: [4, 4, 1], seed: 3 });
  const form = new FormData();
  form.append('model', new File([JSON.stringify(m.json)], 'model.json'));
  for (const [name, bytes] of m.shards) form.append('shard', new File([bytes as Uint8Array<ArrayBuffer>], name));
  const model = await call('/v1/models', { method: 'POST', body: form });
  expect(model.status).toBeLessThan(300);
  const r = new Rng(5, 'worker-data');
  const npz = datasetToNpz({ name: 'w', x: Uint8Array.from({ length: 32 * 16 }, () => r.int(256)), y: Int32Array.from({ length: 32 }, (_, i) => i % 3), shape: [32, 4, 4, 1] });
  const data = await call('/v1/datasets', { method: 'POST', body: npz as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } });
  expect(data.status).toBeLessThan(300);
  return { model: ((await model.json()) as { id: string }).id, data: ((await data.json()) as { id: string }).id };
}

const AUDIT = { attacks: ['fgsm', 'pgd'], epsilons: [0.3], steps: 3, bits: [2], limit: 16, chunkSize: 16, sanity: false, examples: 0 };

describe('jobs on the Workflow', () => {
  it('runs an audit as a Workflow instance and serves its signed report', { timeout: 120_000 }, async () => {
    const { model, data } = await uploads();
    const res = await post('/v1/audits', { model, data, ...AUDIT });
    expect(res.status).toBe(202);
    const { id } = await res.json() as { id: string };
    const done = await finished(`/v1/audits/${id}`);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.progress.done).toBe(done.progress.total);
    const report = await (await call(`/v1/audits/${id}/report`)).json() as { variants: { name: string }[]; rows: { correct: number }[]; clean: unknown[]; data: { samples: number } };
    expect(report.variants.map((v) => v.name)).toEqual(['float', 'w2']);
    expect(report.rows.length).toBeGreaterThan(0);
    expect((await call(`/v1/audits/${id}/attestation`)).status).toBe(200);
    // The per-sample lines stream from the Worker too: one per clean classifier or row and sample, counting as the report.
    const lines = (await (await call(`/v1/audits/${id}/samples.jsonl`)).text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { correct: number });
    expect(lines).toHaveLength((report.clean.length + report.rows.length) * report.data.samples);
    expect(lines.slice(report.clean.length * report.data.samples).filter((l) => l.correct).length).toBe(report.rows.reduce((a, r) => a + r.correct, 0));
    // Listing parses S3's XML answer: the path that needed the SDK's pure-JS parser on workerd.
    const list = await (await call('/v1/audits?limit=100')).json() as { items: { id: string }[] };
    expect(list.items.map((a) => a.id)).toContain(id);
  });

  it('runs an audit on a zip of class folders of PNG and JPEG images, decoded and resized inside workerd', { timeout: 120_000 }, async () => {
    const { model } = await uploads();
    const gray = (v: number) => encodePng({ width: 8, height: 8, channels: 1, depth: 8, data: Uint8Array.from({ length: 64 }, (_, i) => (v + 7 * i) % 256) });
    const jpeg = Uint8Array.from(atob(IMAGE_FIXTURES.find((f) => f.name === 'jpeg-rgb420')!.file), (c) => c.charCodeAt(0));
    const zip = zipSync({ 'a/1.png': gray(0), 'a/2.png': gray(50), 'b/1.jpg': jpeg, 'b/2.png': gray(100), 'c/1.png': gray(150), 'c/2.png': gray(200) });
    const up = await call('/v1/datasets', { method: 'POST', body: zip as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/zip' } });
    expect(up.status).toBe(201);
    const info = await up.json() as { id: string; format: string; samples: number; classNames: string[]; images: { formats: unknown } };
    expect(info).toMatchObject({ format: 'images', samples: 6, classNames: ['a', 'b', 'c'], images: { formats: { png: 5, jpeg: 1 } } });
    const res = await post('/v1/audits', { model, data: info.id, ...AUDIT, limit: 6 });
    expect(res.status).toBe(202);
    const { id } = await res.json() as { id: string };
    const done = await finished(`/v1/audits/${id}`);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const report = await (await call(`/v1/audits/${id}/report`)).json() as { data: { total: number; inputShape: number[] } };
    expect(report.data).toMatchObject({ total: 6, inputShape: [4, 4, 1] });
  });

  it('runs a retraining job: training steps with checkpoints in S3, the two audits, the report and the model', { timeout: 180_000 }, async () => {
    const { model, data } = await uploads();
    const res = await post('/v1/retrain-jobs', {
      model, method: 'qat', bits: 2, data, evalData: data, settings: { batchSize: 8, batchesPerStep: 2, maxBatches: 4 }, audit: AUDIT,
    });
    expect(res.status).toBe(202);
    const { id } = await res.json() as { id: string };
    const done = await finished(`/v1/retrain-jobs/${id}`);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.phase).toBe('done');
    expect(done.loss).toHaveLength(2);
    for (const which of ['before', 'after']) expect((await (await call(`/v1/audits/${done.audits[which]}`)).json() as { status: string }).status).toBe('succeeded');
    const report = await (await call(`/v1/retrain-jobs/${id}/report`)).json() as { models: { repaired: string }; robust: unknown[] };
    expect(report.models.repaired).toBe(done.repairedModel);
    expect(report.robust).toHaveLength(2);
    const zip = await call(`/v1/retrain-jobs/${id}/model`);
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect((await call(`/v1/retrain-jobs/${id}/report.html`)).status).toBe(200);
  });
});
