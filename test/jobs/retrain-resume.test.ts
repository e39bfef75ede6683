// Kill-and-resume of a retraining job: a child process training against a real S3 server (s3rver) is SIGKILLed
// between steps; a new process resumes from the newest checkpoint in the store and ends with the same repaired
// model, bit for bit, and the same loss curve as an uninterrupted run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { initEngine } from '../../src/engine/backend';
import { exportPrivateJwk, generateSigningKey, sha256Hex } from '../../src/attest';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { resolveRetrainConfig } from '../../src/engine/train';
import { newJobRecord, readRecord, writeRecord } from '../../src/jobs/record';
import { putModel } from '../../src/jobs/runner.node';
import type { RetrainRequest } from '../../src/jobs/types';
import { keys, newId } from '../../src/storage/keys';
import { S3Store } from '../../src/storage/s3';
import { loadWasm } from '../wasm';
import { startS3 } from '../_s3';
import { CHILD_PATH, WORKER_PATH, ensureBuilt } from './_build';
import { teacherData, tinyModel } from './_fixture';
import { referenceRun } from './_retrain';

/** Runs the job child until it exits or `killAfter` training steps were logged; returns the steps it logged. */
function child(env: Record<string, string>, killAfter?: number): Promise<{ steps: number[]; code: number | null }> {
  const proc = spawn(process.execPath, [CHILD_PATH], { env: { ...process.env, ...env, QA_LOG_PROGRESS: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const steps: number[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const e = JSON.parse(buf.slice(0, i)) as { type: string; progress?: { done: number; current?: string } };
      if (e.type === 'progress' && !e.progress?.current?.startsWith('audit')) steps.push(e.progress!.done);
      if (killAfter !== undefined && steps.length === killAfter) proc.kill('SIGKILL');
      buf = buf.slice(i + 1);
    }
  });
  return new Promise((res) => proc.on('exit', (code) => res({ steps, code })));
}

describe('kill -9 and resume of a retraining job', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  beforeAll(async () => {
    await Promise.all([ensureBuilt(), initEngine(await loadWasm())]);
    s3 = await startS3();
  }, 60_000);
  afterAll(async () => { await s3?.stop(); });

  // Behind the random mapping every batch draws its sub-grid from the checkpointed RNG: the resume must draw the same.
  it.each([['no defense', 'none'], ['the random mapping', { mapping: 'random' }]] as const)('%s: resumes from the newest checkpoint and ends with the weights of an uninterrupted run', { timeout: 120_000 }, async (_, defense) => {
    const store = new S3Store(s3.config);
    const model = tinyModel();
    const data = teacherData(model);
    const npz = datasetToNpz(data);
    const dsSha = await sha256Hex(npz);
    await store.putIfAbsent(keys.dataset(dsSha), npz);
    // 48 samples in batches of 4, one batch per step: 12 checkpointed steps.
    const config = resolveRetrainConfig({ method: 'boundary', bits: 2, batchSize: 4, batchesPerStep: 1, boundary: { steps: 2 }, defense });
    const request: RetrainRequest = {
      model: await putModel(store, model), dataset: { sha256: dsSha }, settings: config as unknown as Record<string, unknown>,
      audit: { attacks: ['fgsm'], epsilons: [0.3], limit: 16, chunkSize: 16, sanity: false, examples: 0 }, evalDataset: { sha256: dsSha },
    };
    const id = newId();
    await writeRecord(store, newJobRecord(id, 'retrain', request as unknown as Record<string, unknown>));
    const key = await generateSigningKey({ extractable: true });
    const env = { QA_S3: JSON.stringify(s3.config), QA_KEY: JSON.stringify(await exportPrivateJwk(key)), QA_WORKER: WORKER_PATH, QA_THREADS: '1' };

    const first = await child({ ...env, QA_DELAY_MS: '300' }, 3);
    expect(first.code).toBeNull();
    const killed = (await readRecord(store, id))!;
    expect(killed.status).toBe('running');
    expect(killed.retrain!.phase).toBe('training');
    const stored = (await store.list(keys.jobCheckpointsPrefix(id))).keys;
    // At most two checkpoints are kept; the newest is at least the last logged step, well short of the 12.
    expect(stored.length).toBeLessThanOrEqual(2);
    const newest = Number(stored.at(-1)!.match(/(\d{6})\.bin$/)![1]);
    expect(newest).toBeGreaterThanOrEqual(3);
    expect(newest).toBeLessThan(12);

    const second = await child(env);
    expect(second.code).toBe(0);
    // The second process trained only the steps after the checkpoint it found.
    expect(second.steps[0]).toBe(newest + 1);
    const done = (await readRecord(store, id))!;
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const reference = referenceRun(model, data, config);
    expect(done.retrain!.loss.map((p) => p.loss)).toEqual(reference.losses);
    const weights = (await store.get(keys.modelShard(done.retrain!.repairedModel!, 0)))!;
    expect(Buffer.from(weights).equals(Buffer.from(reference.weights))).toBe(true);
  });
});
