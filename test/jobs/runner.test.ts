// The Node driver on worker threads: an audit completes with the report runAuditLocally gives, on 1 or 2 threads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/backend';
import { ReportSchema } from '../../src/engine/audit';
import { generateSigningKey } from '../../src/attest';
import type { SigningKey } from '../../src/attest';
import { keys } from '../../src/storage/keys';
import { MemoryStore } from '../../src/storage/memory';
import type { ModelBytes } from '../../src/jobs/inputs';
import { readRecord } from '../../src/jobs/record';
import { NodeJobDriver, runAuditLocally } from '../../src/jobs/runner.node';
import type { JobEvent } from '../../src/jobs/runner';
import type { Dataset } from '../../src/engine/data/types';
import type { JobProgress } from '../../src/jobs/types';
import { loadWasm } from '../wasm';
import { ensureBuilt, WORKER_PATH } from './_build';
import { SETTINGS, seedJob, teacherData, tinyModel } from './_fixture';

describe('NodeJobDriver and runAuditLocally', () => {
  let model: ModelBytes;
  let data: Dataset;
  let key: SigningKey;
  const drivers: NodeJobDriver[] = [];
  beforeAll(async () => {
    await Promise.all([ensureBuilt(), initEngine(await loadWasm())]);
    model = tinyModel();
    data = teacherData(model);
    key = await generateSigningKey();
  }, 60_000);
  afterAll(async () => { await Promise.all(drivers.map((d) => d.close())); });

  const local = (threads: number) =>
    runAuditLocally({ modelJson: model.modelJson, shards: model.shards, data, settings: SETTINGS, signingKey: key, threads, workerPath: WORKER_PATH });

  it('runs a queued job to a report identical to runAuditLocally on 2 threads, and reports progress', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const progress: JobProgress[] = [];
    const driver = new NodeJobDriver({
      store, signingKey: key, threads: 1, workerPath: WORKER_PATH, resume: false,
      onEvent: (e: JobEvent) => { if (e.type === 'progress') progress.push(e.progress); },
    });
    drivers.push(driver);
    await driver.start(id, 'audit');
    await driver.idle();
    const record = (await readRecord(store, id))!;
    expect(record.status).toBe('succeeded');
    expect(record.startedAt! <= record.finishedAt!).toBe(true);
    const bytes = (await store.get(keys.report(id)))!;
    ReportSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));

    const two = await local(2);
    expect(Buffer.from(two.reportBytes).equals(Buffer.from(bytes))).toBe(true);
    expect(JSON.stringify(two.attestation)).toBe(new TextDecoder().decode((await store.get(keys.attestation(id)))!));

    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
    expect(progress.every((p) => p.total === 27 && p.etaSeconds !== undefined && p.etaSeconds >= 0)).toBe(true);
    expect(progress[26]!.current).toBeUndefined();
  });

  it('gives the same report bytes on 1 thread, 2 threads and the main thread', { timeout: 60_000 }, async () => {
    const [one, two, inline] = [await local(1), await local(2), await local(0)];
    expect(Buffer.from(one.reportBytes).equals(Buffer.from(two.reportBytes))).toBe(true);
    expect(Buffer.from(inline.reportBytes).equals(Buffer.from(one.reportBytes))).toBe(true);
    expect(one.report.data).toEqual({ name: 'tiny-synthetic', samples: 48, total: 48, inputShape: [4, 4, 1] });
  });

  it('resumes queued jobs found in the store on construction, and cancels a queued job', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const a = await seedJob(store, model, data);
    const b = await seedJob(store, model, data);
    const driver = new NodeJobDriver({ store, signingKey: key, threads: 2, workerPath: WORKER_PATH });
    drivers.push(driver);
    // Jobs run one after another: b is still queued while a runs.
    await driver.cancel(b);
    expect((await driver.resumed).sort()).toEqual([a, b].sort());
    await driver.idle();
    expect((await readRecord(store, a))!.status).toBe('succeeded');
    expect((await readRecord(store, b))!.status).toBe('canceled');
    expect(await store.get(keys.report(b))).toBeNull();
  });
});
