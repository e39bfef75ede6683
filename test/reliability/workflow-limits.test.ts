// Queue caps and the wall-clock limit on the Workers path, in Node: the real app over WorkflowJobDriver with a fake
// Workflow binding (queue slots in the store, counted per key and per address; released by the instance's last step,
// or dropped when left behind), and the Workflow steps under a fake step.do on an injected clock. The same behaviour
// in workerd with the real binding: test/worker/queue-caps.test.ts and test/worker/time-limit.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, sha256Hex, type SigningKey } from '../../src/attest';
import { datasetToNpz } from '../../src/engine/data/dataset';
import type { Dataset } from '../../src/engine/data/types';
import { resolveRetrainConfig } from '../../src/engine/train';
import type { ModelBytes } from '../../src/jobs/inputs';
import { newJobRecord, readRecord, updateRecord, writeRecord } from '../../src/jobs/record';
import { putModel } from '../../src/jobs/runner.node';
import type { RetrainRequest } from '../../src/jobs/types';
import { runWorkflowJob, WorkflowJobDriver, type AuditParams, type WorkflowBinding } from '../../src/jobs/workflow-job';
import { runRetrainWorkflow } from '../../src/jobs/workflow-retrain';
import { runAuditPart, workflowFanout } from '../../src/jobs/workflow-fanout';
import { runAuditWorkflow, type StepConfig } from '../../src/jobs/workflow-run';
import { keys, newId } from '../../src/storage/keys';
import { MemoryStore } from '../../src/storage/memory';
import { listAll } from '../../src/storage/store';
import { FakeStep } from '../jobs/_fakestep';
import { SETTINGS, jobFixture, seedJob } from '../jobs/_fixture';
import { makeApp, mnistModel, multipart, post, problem } from '../routes/_app';

const KEY_A = 'tenant-a-key-0123456789', KEY_B = 'tenant-b-key-0123456789';
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const LIMIT_MESSAGE = 'expected the job to finish within 60 s (MAX_JOB_SECONDS), got longer';

/** The Workflow binding: records the instances created; `refuse` makes create() fail as an unavailable service. */
class FakeBinding implements WorkflowBinding {
  created: AuditParams[] = [];
  refuse = false;
  async create(o: { id?: string; params?: unknown }): Promise<{ id: string }> {
    if (this.refuse) throw new Error('workflows unavailable');
    if (this.created.some((p) => p.jobId === o.id)) throw new Error(`instance ${o.id} already exists`);
    this.created.push(o.params as AuditParams);
    return { id: o.id! };
  }
  async get(): Promise<never> {
    throw new Error('not used by the driver');
  }
}

/** The app on a MemoryStore with the Workflow driver, and a way to post audits as a key from an address. */
async function workflowApp(env: Record<string, string>) {
  const store = new MemoryStore();
  const binding = new FakeBinding();
  const t = await makeApp({ API_KEYS: `${KEY_A},${KEY_B}`, ...env }, { store, driver: new WorkflowJobDriver(binding, store) });
  const up = await t.req('/v1/models', { method: 'POST', body: multipart(mnistModel()), headers: bearer(KEY_A) });
  const model = ((await up.json()) as { id: string }).id;
  const audit = (k: string, addr: string) => t.req('/v1/audits', { ...post({ model, data: 'mnist', limit: 16, attacks: ['fgsm'] }, bearer(k)), addr });
  const id = async (res: Response) => {
    expect(res.status, await res.clone().text()).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  return { t, store, binding, audit, id };
}

describe('queue caps on the Workflow driver (fake binding)', () => {
  let key: SigningKey;
  beforeAll(async () => { key = await generateSigningKey(); });

  it('refuses the N+1th unfinished job of a key and of an address, and takes one again once a job has ended', { timeout: 60_000 }, async () => {
    const { t, store, binding, audit, id } = await workflowApp({ MAX_QUEUED_PER_KEY: '2', MAX_QUEUED_PER_ADDRESS: '3' });
    const a1 = await id(await audit(KEY_A, '198.51.100.1'));
    const a2 = await id(await audit(KEY_A, '198.51.100.1'));
    const third = await audit(KEY_A, '198.51.100.2');
    expect(await problem(third)).toMatchObject({ status: 429, code: 'too_many_jobs' });
    expect(third.headers.get('retry-after')).toBe('30');
    const b1 = await id(await audit(KEY_B, '198.51.100.1'));
    // Address 198.51.100.1 holds 3 jobs (two keys): the address cap, whichever key asks.
    const overAddress = await problem(await audit(KEY_B, '198.51.100.1'));
    expect(overAddress).toMatchObject({ status: 429, code: 'too_many_jobs' });
    expect(overAddress.detail).toMatch(/from this address \(at most 3\)/);
    const b2 = await id(await audit(KEY_B, '198.51.100.2'));
    expect(binding.created).toEqual([a1, a2, b1, b2].map((jobId) => ({ jobId, kind: 'audit' })));
    // Two slots (tenant, client) per unfinished job.
    expect(await listAll(store, 'queue/')).toHaveLength(8);

    // A1 is canceled; its instance runs: the first step sees the marker, the last step gives the slots back.
    expect((await t.req(`/v1/audits/${a1}`, { method: 'DELETE', headers: bearer(KEY_A) })).status).toBe(202);
    const step = new FakeStep();
    expect(await runWorkflowJob(binding.created[0]!, step, async () => ({ store, signingKey: key }))).toBe('stopped');
    expect([...step.calls.keys()]).toEqual(['prepare', 'release']);
    expect((await readRecord(store, a1))!.status).toBe('canceled');
    expect((await listAll(store, 'queue/')).some((k) => k.endsWith(a1))).toBe(false);
    expect(await listAll(store, 'queue/')).toHaveLength(6);
    await id(await audit(KEY_A, '198.51.100.2'));
  });

  it('drops slots left behind by a job that ended without its release step, and gives them back when the start is refused', { timeout: 60_000 }, async () => {
    const { store, binding, audit, id } = await workflowApp({ MAX_QUEUED_PER_KEY: '1' });
    const a1 = await id(await audit(KEY_A, '198.51.100.1'));
    expect((await problem(await audit(KEY_A, '198.51.100.1'))).code).toBe('too_many_jobs');
    // The instance failed without reaching `release` (terminated, or its store went away): the record is finished.
    await updateRecord(store, a1, (r) => ({ ...r, status: 'failed', error: { code: 'internal_error', message: 'x' } }));
    const a2 = await id(await audit(KEY_A, '198.51.100.1'));
    expect((await listAll(store, 'queue/')).map((k) => k.slice(-32)).sort()).toEqual([a2, a2]);

    binding.refuse = true;
    const refused = await audit(KEY_B, '198.51.100.9');
    expect(await problem(refused)).toMatchObject({ status: 503, code: 'runner_unavailable' });
    expect((await listAll(store, 'queue/')).map((k) => k.slice(-32))).toEqual([a2, a2]);
  });
});

/** A fake step.do on an injected clock: a step takes the milliseconds `took` gives for its name, others none. */
class ClockStep extends FakeStep {
  now = Date.UTC(2026, 0, 1);
  constructor(private readonly took: (name: string) => number) { super(); }
  override async do<T>(name: string, config: StepConfig, f: () => Promise<T>): Promise<T> {
    const r = await super.do(name, config, f);
    this.now += this.took(name);
    return r;
  }
  readonly clock = () => new Date(this.now);
}

describe('the wall-clock limit in the Workflow steps (MAX_JOB_SECONDS)', () => {
  let model: ModelBytes;
  let data: Dataset;
  let key: SigningKey;
  beforeAll(async () => {
    ({ model, data, key } = await jobFixture());
  });
  const tiny = { ...SETTINGS, attacks: ['fgsm' as const], limit: 16 };

  it('fails the job with time_limit at the first step past the limit, counted from its first start, as the Node driver does', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const deps = async () => ({ store, signingKey: key, maxJobSeconds: 60 });
    // The steps after prepare run 59 s after the start, inside the limit: the job runs to the end.
    const inside = await seedJob(store, model, data, tiny);
    const calm = new ClockStep((name) => (name === 'prepare' ? 59_000 : 0));
    expect(await runAuditWorkflow(inside, calm, deps, { now: calm.clock })).toBe('done');
    expect((await readRecord(store, inside))!.status).toBe('succeeded');

    const id = await seedJob(store, model, data, tiny);
    const step = new ClockStep((name) => (name.startsWith('chunk ') ? 31_000 : 0)); // a chunk takes 31 s
    expect(await runAuditWorkflow(id, step, deps, { now: step.clock })).toBe('stopped');
    const r = (await readRecord(store, id))!;
    expect(r.status).toBe('failed');
    expect(r.error).toEqual({ code: 'time_limit', message: LIMIT_MESSAGE });
    // Chunks 1 and 2 ran (62 s at the start of the third); the third failed; no report.
    expect([...step.calls.keys()].filter((k) => k.startsWith('chunk '))).toHaveLength(3);
    expect(step.calls.has('report')).toBe(false);
    expect(await store.head(keys.report(id))).toBeNull();
  });

  it('stops the parts of a fanned-out audit too: a chunk step of a part past the limit fails the job, and the parent ends', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const deps = async () => ({ store, signingKey: key, maxJobSeconds: 60 });
    const id = await seedJob(store, model, data);
    const parent = new FakeStep();
    const parts: FakeStep[] = [];
    const fanout = workflowFanout(3, async () => { parts.push(new FakeStep()); });
    parent.onSleep = async () => {
      // The parts start 61 s after the job did (their steps read the real clock, so the start is moved back).
      await updateRecord(store, id, (r) => ({ ...r, startedAt: new Date(Date.now() - 61_000).toISOString() }));
      for (const [k, step] of parts.entries()) expect(await runAuditPart(id, k, parts.length, step, deps)).toBe('stopped');
    };
    expect(await runAuditWorkflow(id, parent, deps, { fanout })).toBe('stopped');
    expect(parts).toHaveLength(3);
    const r = (await readRecord(store, id))!;
    expect(r.status).toBe('failed');
    expect(r.error).toEqual({ code: 'time_limit', message: LIMIT_MESSAGE });
    // The first part failed the job at its first chunk; the others saw it finished and stopped; nothing was computed.
    for (const step of parts) expect([...step.calls.keys()].filter((k) => k.startsWith('chunk '))).toHaveLength(1);
    expect((await listAll(store, keys.jobChunksPrefix(id))).filter((k) => !k.endsWith('/plan.json'))).toEqual([]);
    expect(parent.calls.has('report')).toBe(false);
  });

  it('counts the closing audits of a retraining job from the retraining job\'s start', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const npz = datasetToNpz(data);
    const ds = await sha256Hex(npz);
    await store.putIfAbsent(keys.dataset(ds), npz);
    const request: RetrainRequest = {
      model: await putModel(store, model), dataset: { sha256: ds }, evalDataset: { sha256: ds },
      settings: resolveRetrainConfig({ method: 'qat', bits: 2, batchSize: 8, batchesPerStep: 3 }) as unknown as Record<string, unknown>,
      audit: { attacks: ['fgsm'], epsilons: [0.3], limit: 16, chunkSize: 16, sanity: false, examples: 0 },
    };
    const id = newId();
    await writeRecord(store, newJobRecord(id, 'retrain', request as unknown as Record<string, unknown>));
    // Training takes 61 s; the closing audit has not started yet (no startedAt of its own), so only the retraining
    // job's start can put its first step past the limit.
    const step = new ClockStep((name) => (name === 'finish' ? 61_000 : 0));
    expect(await runRetrainWorkflow(id, step, async () => ({ store, signingKey: key, maxJobSeconds: 60 }), step.clock)).toBe('stopped');
    const parent = (await readRecord(store, id))!;
    expect(parent.status).toBe('failed');
    expect(parent.error).toEqual({ code: 'time_limit', message: LIMIT_MESSAGE });
    const before = (await readRecord(store, parent.retrain!.audits!.before))!;
    expect(before.status).toBe('failed');
    expect(before.error!.code).toBe('time_limit');
    expect([...step.calls.keys()].some((k) => k.startsWith('after: '))).toBe(false);
  });
});
