// What a job may cost and how jobs share the machine: the compute budget (multiply-adds, activation memory) refuses
// with a 422 naming the limit; unfinished jobs are capped per key and per address (webhooks included); the Node
// driver serves tenants round-robin; a job past its wall-clock limit fails with time_limit (on an injected clock).
import { beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../src/attest';
import type { Dataset } from '../../src/engine/data/types';
import type { ModelSummary } from '../../src/engine/model/types';
import { jobCost, modelCost } from '../../src/jobs/cost';
import type { ModelBytes } from '../../src/jobs/inputs';
import { readRecord } from '../../src/jobs/record';
import type { JobEvent } from '../../src/jobs/runner';
import { NodeJobDriver } from '../../src/jobs/runner.node';
import { MemoryStore } from '../../src/storage/memory';
import { buildLayersModel } from '../helpers/models';
import { SETTINGS, jobFixture, seedJob } from '../jobs/_fixture';
import { makeApp, mnistModel, multipart, post, problem, uploadModel } from '../routes/_app';

const KEY_A = 'tenant-a-key-0123456789', KEY_B = 'tenant-b-key-0123456789';
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

describe('compute budget', () => {
  // A summary stored before the graph IR (no macs, activationBytes): the cost is estimated from its layers.
  const conv = {
    inputShape: [28, 28, 1], numClasses: 10, parameters: 320 + 7850, removedSoftmax: false, weights: [], bits: null,
    layers: [
      { name: 'c', className: 'Conv2D', outputShape: [null, 26, 26, 32], parameters: 320, inputs: [] },
      { name: 'f', className: 'Flatten', outputShape: [null, 21632], parameters: 0, inputs: [] },
      { name: 'd', className: 'Dense', outputShape: [null, 10], parameters: 7850, inputs: [] },
    ],
  } as unknown as ModelSummary;

  it('counts a convolution once per output position, not once per weight', () => {
    const c = modelCost(conv);
    expect(c.macsPerSample).toBeGreaterThanOrEqual(320 * 26 * 26 + 7850);
    expect(c.activationBytesPerSample).toBe((784 + 21632 * 2 + 10) * 4 * 2);
  });

  it('takes the summary\'s own macs and activationBytes when it has them (the graph IR)', () => {
    expect(modelCost({ ...conv, macs: 123, activationBytes: 456 })).toEqual({ macsPerSample: 123, activationBytesPerSample: 456 });
    expect(jobCost({ macsPerSample: 10, activationBytesPerSample: 100, samples: 7, attackWork: 3, batch: 16 })).toEqual({ macs: 210, activationBytes: 1600 });
  });

  it('refuses an audit over MAX_MACS or MAX_ACTIVATION_BYTES with a 422 naming the limit, and takes one under both', { timeout: 60_000 }, async () => {
    const t = await makeApp({ MAX_MACS: '50000000' });
    const model = await uploadModel(t);
    const res = await t.req('/v1/audits', post({ model, data: 'mnist', limit: 500, attacks: ['pgd'], steps: 40 }));
    const p = await problem(res);
    expect(p).toMatchObject({ status: 422, code: 'limit_exceeded' });
    expect(p.detail).toMatch(/MAX_MACS/);
    expect((await t.req('/v1/audits', post({ model, data: 'mnist', limit: 16, attacks: ['fgsm'] }))).status).toBe(202);
    const small = await makeApp({ MAX_ACTIVATION_BYTES: String(1024 * 1024) });
    const wide = buildLayersModel([{ type: 'conv2d', filters: 32, kernelSize: 3 }, { type: 'flatten' }, { type: 'dense', units: 10 }], { inputShape: [28, 28, 1], seed: 1 });
    const id = await uploadModel(small, { json: new TextEncoder().encode(JSON.stringify(wide.json)), files: wide.shards });
    const q = await problem(await small.req('/v1/audits', post({ model: id, data: 'mnist', limit: 16, attacks: ['fgsm'] })));
    expect(q).toMatchObject({ status: 422, code: 'limit_exceeded' });
    expect(q.detail).toMatch(/MAX_ACTIVATION_BYTES/);
  });

  it('refuses a retraining job whose training and closing audits pass MAX_MACS', { timeout: 60_000 }, async () => {
    const t = await makeApp({ MAX_MACS: '1000000000' });
    const model = await uploadModel(t);
    const p = await problem(await t.req('/v1/retrain-jobs', post({ model, method: 'pgd-at', bits: 2, epochs: 3 })));
    expect(p).toMatchObject({ status: 422, code: 'limit_exceeded' });
    expect(p.detail).toMatch(/MAX_MACS/);
  });
});

describe('caps on unfinished jobs', () => {
  it('answers 429 too_many_jobs past the per-key cap, while another key still queues', async () => {
    const t = await makeApp({ API_KEYS: `${KEY_A},${KEY_B}`, MAX_QUEUED_PER_KEY: '2', MAX_QUEUED_PER_ADDRESS: '100' });
    const model = ((await (await t.req('/v1/models', { method: 'POST', body: multipart(mnistModel()), headers: bearer(KEY_A) })).json()) as { id: string }).id;
    const audit = (k: string, addr = '198.51.100.1') => t.req('/v1/audits', { ...post({ model, data: 'mnist', limit: 16, attacks: ['fgsm'] }, bearer(k)), addr });
    expect([(await audit(KEY_A)).status, (await audit(KEY_A)).status]).toEqual([202, 202]);
    const third = await audit(KEY_A, '198.51.100.2');
    expect(await problem(third)).toMatchObject({ status: 429, code: 'too_many_jobs' });
    expect(third.headers.get('retry-after')).toBe('30');
    expect((await audit(KEY_B)).status).toBe(202);
    expect(t.driver.started).toHaveLength(3);
  });

  it('caps one address across keys, and keyless local callers by address', async () => {
    const t = await makeApp({ API_KEYS: `${KEY_A},${KEY_B}`, MAX_QUEUED_PER_KEY: '100', MAX_QUEUED_PER_ADDRESS: '2' });
    const model = ((await (await t.req('/v1/models', { method: 'POST', body: multipart(mnistModel()), headers: bearer(KEY_A) })).json()) as { id: string }).id;
    const audit = (k: string) => t.req('/v1/audits', { ...post({ model, data: 'mnist', limit: 16, attacks: ['fgsm'] }, bearer(k)), addr: '2001:db8:1:2::5' });
    expect((await audit(KEY_A)).status).toBe(202);
    expect((await audit(KEY_B)).status).toBe(202);
    expect((await problem(await audit(KEY_A))).code).toBe('too_many_jobs');
    const local = await makeApp({ MAX_QUEUED_PER_ADDRESS: '1' });
    const m = await uploadModel(local);
    expect((await local.req('/v1/audits', post({ model: m, data: 'mnist', limit: 16, attacks: ['fgsm'] }))).status).toBe(202);
    expect((await problem(await local.req('/v1/retrain-jobs', post({ model: m, method: 'qat', bits: 2, settings: { maxBatches: 2 } })))).code).toBe('too_many_jobs');
  });
});

describe('the Node driver', () => {
  let model: ModelBytes;
  let data: Dataset;
  let key: SigningKey;
  beforeAll(async () => {
    ({ model, data, key } = await jobFixture());
  });
  const tiny = { ...SETTINGS, attacks: ['fgsm' as const], limit: 16 };

  it('serves tenants round-robin: a tenant with many queued jobs cannot starve another (webhook audits are a tenant too)', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const order: string[] = [];
    const names = new Map<string, string>();
    const driver = new NodeJobDriver({ store, signingKey: key, threads: 0, resume: false, onEvent: (e: JobEvent) => { if (e.type === 'finished') order.push(names.get(e.jobId)!); } });
    const seed = async (name: string, tenant: string) => {
      const id = await seedJob(store, model, data, tiny);
      names.set(id, name);
      return { id, tenant };
    };
    const jobs = [await seed('A1', 'key:a'), await seed('A2', 'key:a'), await seed('A3', 'key:a'), await seed('A4', 'key:a'), await seed('H1', 'hook:mlflow'), await seed('B1', 'key:b')];
    for (const j of jobs) await driver.start(j.id, 'audit', { tenant: j.tenant, client: 'addr:127.0.0.1' });
    expect(await driver.pending({ tenant: 'key:a', client: 'addr:none' })).toEqual({ tenant: 4, client: 0 });
    await driver.idle();
    await driver.close();
    // A1 was running before the others were queued; then each tenant in turn.
    expect(order).toEqual(['A1', 'A2', 'H1', 'B1', 'A3', 'A4']);
    expect(await driver.pending({ tenant: 'key:a', client: 'addr:127.0.0.1' })).toEqual({ tenant: 0, client: 0 });
  });

  it('fails a job past its wall-clock limit with time_limit, counted from its first start', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    let now = Date.UTC(2026, 0, 1);
    const driver = new NodeJobDriver({
      store, signingKey: key, threads: 0, resume: false, maxJobSeconds: 60, now: () => now,
      onEvent: (e) => { if (e.type === 'chunk') now += 61_000; }, // the clock jumps a minute per chunk
    });
    const id = await seedJob(store, model, data, tiny);
    await driver.start(id, 'audit');
    await driver.close();
    const r = (await readRecord(store, id))!;
    expect(r.status).toBe('failed');
    expect(r.error).toEqual({ code: 'time_limit', message: 'expected the job to finish within 60 s (MAX_JOB_SECONDS), got longer' });
  });
});
