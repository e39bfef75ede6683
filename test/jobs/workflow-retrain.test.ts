// The retraining Workflow's step sequence under Workflows' semantics (a fake step.do): evicted mid-training and
// mid-audit, replayed, it ends with the same repaired model as an uninterrupted in-process run.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, sha256Hex } from '../../src/attest';
import { initEngine } from '../../src/engine/backend';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { resolveRetrainConfig } from '../../src/engine/train';
import { requestCancel } from '../../src/jobs/lifecycle';
import { newJobRecord, readRecord, writeRecord } from '../../src/jobs/record';
import { putModel } from '../../src/jobs/runner.node';
import type { RetrainRequest } from '../../src/jobs/types';
import { runRetrainWorkflow } from '../../src/jobs/workflow-retrain';
import { keys, newId } from '../../src/storage/keys';
import { MemoryStore } from '../../src/storage/memory';
import { loadWasm } from '../wasm';
import { Evicted, FakeStep } from './_fakestep';
import { teacherData, tinyModel } from './_fixture';
import { referenceRun } from './_retrain';

const CONFIG = { method: 'qat', bits: 2, batchSize: 8, batchesPerStep: 1 } as const;

async function seed(store: MemoryStore) {
  const model = tinyModel();
  const data = teacherData(model);
  const npz = datasetToNpz(data);
  const ds = await sha256Hex(npz);
  await store.putIfAbsent(keys.dataset(ds), npz);
  const request: RetrainRequest = {
    model: await putModel(store, model), dataset: { sha256: ds }, settings: resolveRetrainConfig(CONFIG) as unknown as Record<string, unknown>,
    audit: { attacks: ['fgsm'], epsilons: [0.3], limit: 16, chunkSize: 16, sanity: false, examples: 0 }, evalDataset: { sha256: ds },
  };
  const id = newId();
  await writeRecord(store, newJobRecord(id, 'retrain', request as unknown as Record<string, unknown>));
  return { id, model, data };
}

describe('runRetrainWorkflow', () => {
  beforeAll(async () => { await initEngine(await loadWasm()); });

  it('survives evictions in training and in the audits, each step running once, with the weights of an uninterrupted run', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const signingKey = await generateSigningKey();
    const { id, model, data } = await seed(store);
    const deps = async () => ({ store, signingKey });
    const step = new FakeStep();
    // 48 samples / batch 8: 6 training steps. Evicted after prepare + 3 steps, then again inside the before audit.
    for (const evictAfter of [4, 6]) {
      step.evictAfter = evictAfter;
      await expect(runRetrainWorkflow(id, step, deps)).rejects.toBeInstanceOf(Evicted);
    }
    expect((await readRecord(store, id))!.retrain!.phase).toBe('auditing');
    step.evictAfter = Infinity;
    expect(await runRetrainWorkflow(id, step, deps)).toBe('done');
    expect([...step.calls.values()].every((n) => n === 1)).toBe(true);
    expect([...step.calls.keys()].filter((k) => k.startsWith('train '))).toEqual(['train 1', 'train 2', 'train 3', 'train 4', 'train 5', 'train 6']);
    const rec = (await readRecord(store, id))!;
    expect(rec.status).toBe('succeeded');
    const ref = referenceRun(model, data, resolveRetrainConfig(CONFIG));
    expect(rec.retrain!.loss.map((p) => p.loss)).toEqual(ref.losses);
    expect(Buffer.from((await store.get(keys.modelShard(rec.retrain!.repairedModel!, 0)))!).equals(Buffer.from(ref.weights))).toBe(true);
    for (const a of [rec.retrain!.audits!.before, rec.retrain!.audits!.after]) expect((await readRecord(store, a))!.status).toBe('succeeded');
    expect(await store.head(keys.report(id))).not.toBeNull();
  });

  it('stops at the next step after a cancel and marks the job canceled', { timeout: 30_000 }, async () => {
    const store = new MemoryStore();
    const signingKey = await generateSigningKey();
    const { id } = await seed(store);
    const deps = async () => ({ store, signingKey });
    const step = new FakeStep();
    step.evictAfter = 3;
    await expect(runRetrainWorkflow(id, step, deps)).rejects.toBeInstanceOf(Evicted);
    await requestCancel(store, id);
    step.evictAfter = Infinity;
    expect(await runRetrainWorkflow(id, step, deps)).toBe('stopped');
    expect((await readRecord(store, id))!.status).toBe('canceled');
  });
});
