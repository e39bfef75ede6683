// Retraining jobs end to end on the Node driver: the API starts one, worker threads train it step by step with
// checkpoints in the store, the before/after audits run, and the outputs (model, report, attestation) are served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { createApp } from '../../src/app';
import { exportPublicJwk, generateSigningKey, verifyEnvelope } from '../../src/attest';
import type { SigningKey } from '../../src/attest';
import { configFromEnv } from '../../src/config';
import { initEngine } from '../../src/engine/backend';
import { datasetToNpz } from '../../src/engine/data/dataset';
import type { Dataset } from '../../src/engine/data/types';
import { loadLayersModel } from '../../src/engine/model';
import { resolveRetrainConfig } from '../../src/engine/train';
import { sha256Hex } from '../../src/attest';
import type { ModelBytes } from '../../src/jobs/inputs';
import { NodeJobDriver, putModel } from '../../src/jobs/runner.node';
import { keys } from '../../src/storage/keys';
import { MemoryStore } from '../../src/storage/memory';
import { loadWasm } from '../wasm';
import { WORKER_PATH, ensureBuilt } from './_build';
import { teacherData, tinyModel } from './_fixture';
import { referenceRun } from './_retrain';
import { cancelRequested } from '../../src/jobs/lifecycle';
import { updateRecord } from '../../src/jobs/record';
import { childAuditIds } from '../../src/jobs/retrain';

const SETTINGS = { batchSize: 8, batchesPerStep: 2, boundary: { steps: 2 } };
const AUDIT = { attacks: ['fgsm'], epsilons: [0.3], limit: 16, chunkSize: 16, sanity: false, examples: 0 };

describe('retraining jobs on the Node driver', () => {
  let store: MemoryStore;
  let driver: NodeJobDriver;
  let app: ReturnType<typeof createApp>;
  let signer: SigningKey;
  let model: ModelBytes;
  let data: Dataset;
  let ids: { model: string; data: string };

  beforeAll(async () => {
    await Promise.all([ensureBuilt(), initEngine(await loadWasm())]);
    store = new MemoryStore();
    signer = await generateSigningKey();
    driver = new NodeJobDriver({ store, signingKey: signer, threads: 1, workerPath: WORKER_PATH, resume: false });
    // Many writes in a minute from one address (uploads and jobs of every test): not what these tests are about.
    app = createApp({ store, driver, signer, config: configFromEnv({ RATE_LIMIT_WRITE_BURST: '1000' }), startEngine: async () => initEngine(await loadWasm()), clientAddress: () => '127.0.0.1' });
    model = tinyModel();
    data = teacherData(model);
    const npz = datasetToNpz(data);
    ids = { model: await putModel(store, model), data: await sha256Hex(npz) };
    await store.putIfAbsent(keys.dataset(ids.data), npz);
  }, 60_000);
  afterAll(async () => { await driver?.close(); });

  const req = (path: string, body?: unknown) => app.request(path, body === undefined ? {} : {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' },
  });
  const json = async (path: string) => (await (await req(path)).json()) as Record<string, any>;

  it('trains, audits before and after, and serves the repaired model, the report and its attestation', { timeout: 90_000 }, async () => {
    const body = { model: ids.model, method: 'boundary', bits: 2, data: ids.data, evalData: ids.data, settings: SETTINGS, audit: AUDIT };
    const res = await req('/v1/retrain-jobs', body);
    expect(res.status).toBe(202);
    const job = (await res.json()) as Record<string, any>;
    expect(job).toMatchObject({ status: 'queued', phase: 'queued', progress: { done: 0, total: 3 }, request: { method: 'boundary', bits: 2, epochs: 1, seed: 0 } });
    expect(job.links.page).toBe(`/retrain-jobs/${job.id}`);
    await driver.idle();

    const done = await json(`/v1/retrain-jobs/${job.id}`);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.phase).toBe('done');
    // 48 samples / batch 8 = 6 batches, 2 per step: a loss curve of 3 points with every part of the boundary loss.
    expect(done.loss.map((p: any) => p.step)).toEqual([0, 1, 2]);
    for (const p of done.loss) for (const k of ['loss', 'ce', 'boundary', 'distill']) expect(Number.isFinite(p[k])).toBe(true);
    expect(done.progress.done).toBe(done.progress.total);

    // The two closing audits are ordinary audits, listed with the others; the job itself is not an audit.
    const { before, after } = done.audits;
    for (const id of [before, after]) expect((await json(`/v1/audits/${id}`)).status).toBe('succeeded');
    expect((await req(`/v1/audits/${job.id}`)).status).toBe(404);
    const audits = (await json('/v1/audits?limit=100')).items.map((a: any) => a.id);
    expect(audits.sort()).toEqual([before, after].sort());
    expect((await json('/v1/retrain-jobs')).items.map((j: any) => j.id)).toEqual([job.id]);

    // The model: a zip of model.json (uint8 manifest) and weights.bin, identical to an in-process run of the same settings.
    const zip = unzipSync(new Uint8Array(await (await req(`/v1/retrain-jobs/${job.id}/model`)).arrayBuffer()));
    const manifest = JSON.parse(new TextDecoder().decode(zip['model.json']!)).weightsManifest;
    expect(manifest[0].paths).toEqual(['weights.bin']);
    // Kernels are stored as uint8 on their k-bit grid; biases, which METHOD.md leaves unquantized, stay float32.
    const kernels = manifest[0].weights.filter((w: any) => w.name.endsWith('kernel'));
    expect(kernels.length).toBe(2);
    expect(kernels.every((w: any) => w.quantization?.dtype === 'uint8')).toBe(true);
    const config = resolveRetrainConfig({ ...SETTINGS, method: 'boundary', bits: 2 });
    expect(Buffer.from(zip['weights.bin']!).equals(Buffer.from(referenceRun(model, data, config).weights))).toBe(true);
    const repaired = loadLayersModel(JSON.parse(new TextDecoder().decode(zip['model.json']!)), new Map([['weights.bin', zip['weights.bin']!]]));
    expect(repaired.summary.bits).toBe(2);
    repaired.dispose();
    const jsonOnly = await req(`/v1/retrain-jobs/${job.id}/model/model.json`);
    expect(Buffer.from(await jsonOnly.arrayBuffer()).equals(Buffer.from(zip['model.json']!))).toBe(true);

    // The report links both audits and compares the three models; the attestation names both models.
    const report = await json(`/v1/retrain-jobs/${job.id}/report`);
    expect(report).toMatchObject({ schema: 'qaudit.retrain-report/v1', job: job.id, models: { original: ids.model, repaired: done.repairedModel } });
    expect(report.audits.before.id).toBe(before);
    expect(report.audits.after.links.reportHtml).toBe(`/v1/audits/${after}/report.html`);
    for (const k of ['float', 'quantized', 'repaired']) expect(report.clean[k]).toBeGreaterThanOrEqual(0);
    expect(report.robust.map((r: any) => [r.attack, r.epsilon])).toEqual([['fgsm', 0.3]]);
    const before_ = await json(`/v1/audits/${before}/report`);
    expect(report.clean.float).toBe(before_.clean.find((c: any) => c.variant === 'float').accuracy);
    expect(report.clean.quantized).toBe(before_.clean.find((c: any) => c.variant === 'w2').accuracy);
    const envelope = await json(`/v1/retrain-jobs/${job.id}/attestation`);
    const v = await verifyEnvelope(envelope, [await exportPublicJwk(signer)]);
    expect(v.ok).toBe(true);
    expect((v as any).statement.subject.map((s: any) => s.digest.sha256)).toEqual([ids.model, done.repairedModel]);
    const html = await req(`/v1/retrain-jobs/${job.id}/report.html`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain(`/v1/audits/${before}/report.html`);
  });

  it('trains behind a mapping: the audits run behind it and the signed report carries its plain and adaptive rows', { timeout: 90_000 }, async () => {
    const defense = { mapping: 'staircase', levels: 4 };
    const audit = { ...AUDIT, attacks: ['fgsm', 'square'], queries: 10 };
    const res = await req('/v1/retrain-jobs', { model: ids.model, method: 'qat', bits: 2, data: ids.data, evalData: ids.data, settings: SETTINGS, defense, audit });
    expect(res.status).toBe(202);
    const job = (await res.json()) as Record<string, any>;
    await driver.idle();
    const done = await json(`/v1/retrain-jobs/${job.id}`);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const setting = { ...defense, sharpness: 200 };
    // Bit-identical to an in-process run behind the same mapping.
    const zip = unzipSync(new Uint8Array(await (await req(`/v1/retrain-jobs/${job.id}/model`)).arrayBuffer()));
    const config = resolveRetrainConfig({ ...SETTINGS, method: 'qat', bits: 2, defense });
    expect(Buffer.from(zip['weights.bin']!).equals(Buffer.from(referenceRun(model, data, config).weights))).toBe(true);

    const after = await json(`/v1/audits/${done.audits.after}/report`);
    const seen = new Set(after.rows.map((r: any) => `${r.attack}|${r.defense}|${r.adaptive}`));
    for (const k of ['fgsm|staircase|false', 'fgsm|staircase|true', 'square|staircase|false', 'fgsm|none|false']) expect(seen).toContain(k);
    const report = await json(`/v1/retrain-jobs/${job.id}/report`);
    expect(report.settings.defense).toEqual(setting);
    expect(report.defense.setting).toEqual(setting);
    expect(report.defense.robust.map((r: any) => `${r.attack}|${r.adaptive}`).sort()).toEqual(['fgsm|false', 'fgsm|true', 'square|false']);
    for (const r of report.defense.robust) for (const k of ['float', 'quantized', 'repaired']) expect(r[k]).toBeGreaterThanOrEqual(0);
    expect(report.defense.clean.repaired).toBe(after.clean.find((c: any) => c.variant === after.variants[0].name && c.defense === 'staircase').accuracy);
    expect(report.defense.worstCase.map((w: any) => w.epsilon)).toEqual([0.3]);
    expect(Array.isArray(report.defense.masking)).toBe(true);
    const v = await verifyEnvelope(await json(`/v1/retrain-jobs/${job.id}/attestation`), [await exportPublicJwk(signer)]);
    expect((v as any).statement.predicate.defense.setting).toEqual(setting);
    expect(await (await req(`/v1/retrain-jobs/${job.id}/report.html`)).text()).toContain('staircase(levels 4, sharpness 200)');
  });

  it('refuses bad requests with a problem naming the field, before queuing anything', async () => {
    const base = { model: ids.model, method: 'qat', bits: 2, data: ids.data, evalData: ids.data };
    const cases: [unknown, number, string][] = [
      [{ ...base, method: 'magic' }, 400, 'body.method'],
      [{ ...base, bits: 9 }, 400, 'body.bits'],
      [{ ...base, settings: { bits: 4 } }, 400, 'body.settings.bits'],
      [{ ...base, settings: { batchSize: 0 } }, 400, 'body.settings.batchSize'],
      [{ ...base, audit: { attacks: ['nope'] } }, 400, 'body.audit.attacks.0'],
      [{ ...base, model: 'f'.repeat(64) }, 404, 'body.model'],
      [{ ...base, data: 'e'.repeat(64) }, 404, 'body.data'],
      [{ ...base, epochs: 1000, settings: { batchSize: 1 } }, 422, 'body.epochs'],
      [{ ...base, settings: { batchesPerStep: 65 } }, 422, 'body.settings.batchesPerStep'],
    ];
    const before = (await json('/v1/retrain-jobs?limit=100')).items.length;
    for (const [body, status, field] of cases) {
      const res = await req('/v1/retrain-jobs', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { field?: string }).field).toBe(field);
    }
    expect((await json('/v1/retrain-jobs?limit=100')).items.length).toBe(before);
  });

  it('answers 409 for the model and report of a job that has not trained yet, and 404 for an audit id', async () => {
    const stuck = new NodeJobDriver({ store, signingKey: signer, threads: 0, resume: false });
    const app2 = createApp({ store, driver: { start: async () => {}, cancel: (id) => stuck.cancel(id) }, signer, config: configFromEnv({}), startEngine: async () => {}, clientAddress: () => '127.0.0.1' });
    const res = await app2.request('/v1/retrain-jobs', { method: 'POST', body: JSON.stringify({ model: ids.model, method: 'qat', bits: 4, data: ids.data, evalData: ids.data }), headers: { 'content-type': 'application/json' } });
    const { id } = (await res.json()) as { id: string };
    for (const p of ['model', 'model/weights.bin', 'report', 'report.html', 'attestation']) expect((await app2.request(`/v1/retrain-jobs/${id}/${p}`)).status).toBe(409);
    // Canceling the queued job: the driver runs it, sees the marker and marks it canceled.
    expect((await app2.request(`/v1/retrain-jobs/${id}`, { method: 'DELETE' })).status).toBe(202);
    await stuck.close();
    expect(((await (await app2.request(`/v1/retrain-jobs/${id}`)).json()) as { status: string }).status).toBe('canceled');
    expect((await app2.request(`/v1/retrain-jobs/${id}`, { method: 'DELETE' })).status).toBe(409);
  });

  it('cancels the closing audits with the job when it is auditing', async () => {
    const app2 = createApp({ store, driver: { start: async () => {}, cancel: async () => {} }, signer, config: configFromEnv({}), startEngine: async () => {}, clientAddress: () => '127.0.0.1' });
    const res = await app2.request('/v1/retrain-jobs', { method: 'POST', body: JSON.stringify({ model: ids.model, method: 'qat', bits: 4, data: ids.data, evalData: ids.data }), headers: { 'content-type': 'application/json' } });
    const { id } = (await res.json()) as { id: string };
    const audits = await childAuditIds(id);
    await updateRecord(store, id, (r) => ({ ...r, status: 'running', retrain: { phase: 'auditing', loss: [], audits } }));
    expect((await app2.request(`/v1/retrain-jobs/${id}`, { method: 'DELETE' })).status).toBe(202);
    for (const a of [audits.before, audits.after]) expect(await cancelRequested(store, a)).toBe(true);
  });
});
