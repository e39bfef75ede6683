// Injected faults: the S3 server stops mid-audit and comes back (the job waits with retries and completes, nothing
// lost or duplicated); a chunk that throws (typed -> failed with its code; transient -> retried). SIGKILL and resume
// is test/jobs/resume.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../src/attest';
import type { Chunk } from '../../src/engine/audit';
import type { Dataset } from '../../src/engine/data/types';
import { EngineError } from '../../src/engine/errors';
import { InlineExecutor } from '../../src/jobs/executor';
import type { ModelBytes } from '../../src/jobs/inputs';
import { readRecord } from '../../src/jobs/record';
import { runAuditJob, type JobEvent } from '../../src/jobs/runner';
import { NodeJobDriver } from '../../src/jobs/runner.node';
import { keys } from '../../src/storage/keys';
import { MemoryStore } from '../../src/storage/memory';
import { S3Store } from '../../src/storage/s3';
import { seedJob, workflowFixture } from '../jobs/_fixture';
import { listAll, RestartableS3 } from './_server';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Backoff 100, 200, ... 6400 ms: about 12 s of patience, far more than the outage below. */
const RETRY = { attempts: 8, delayMs: 100 };

describe('faults', () => {
  let model: ModelBytes;
  let data: Dataset;
  let key: SigningKey;
  let reference: Uint8Array;
  beforeAll(async () => {
    ({ model, data, key, expected: reference } = await workflowFixture());
  }, 60_000);

  describe('S3 server stopped in the middle of an audit', () => {
    let s3: RestartableS3;
    beforeAll(async () => { s3 = await RestartableS3.start(); }, 20_000);
    afterAll(async () => { await s3?.destroy(); });

    it('pauses with retries, completes when it is back, every chunk stored once, the same report', { timeout: 60_000 }, async () => {
      const store = new S3Store({ ...s3.config, maxAttempts: 1, connectionTimeoutMs: 500, requestTimeoutMs: 5000 });
      const id = await seedJob(store, model, data);
      const events: JobEvent[] = [];
      let outage: Promise<void> | undefined;
      let downAt = -1;
      let waited = 0;
      const retry = { ...RETRY, sleep: (ms: number) => { waited += ms; return sleep(ms); } };
      const driver = new NodeJobDriver({
        store, signingKey: key, threads: 0, resume: false, retry,
        onEvent: async (e) => {
          events.push(e);
          if (e.type === 'chunk' && !outage) {
            downAt = events.length;
            await s3.stop();
            outage = sleep(1500).then(() => s3.restart());
          }
        },
      });
      await driver.start(id, 'audit');
      await driver.idle();
      await outage;
      await driver.close();

      const record = (await readRecord(store, id))!;
      expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
      expect(downAt).toBeGreaterThan(0);
      // The outage was felt: the runner backed off and retried while the server was down.
      expect(waited).toBeGreaterThan(0);
      console.log(`[faults] S3 down after chunk event ${downAt}; runner backed off ${waited} ms in all`);
      const chunkEvents = events.filter((e): e is Extract<JobEvent, { type: 'chunk' }> => e.type === 'chunk');
      // Every planned chunk finished exactly once from the runner's point of view...
      expect(chunkEvents.length).toBe(record.progress.total);
      expect(new Set(chunkEvents.map((e) => e.chunkId)).size).toBe(record.progress.total);
      // ...and the store holds one result per chunk (plus the plan), nothing torn or extra.
      const stored = await listAll(store, keys.jobChunksPrefix(id));
      expect(stored.length).toBe(record.progress.total + 1);
      for (const k of stored) {
        const text = new TextDecoder().decode((await store.get(k))!);
        expect(() => JSON.parse(text), k).not.toThrow();
      }
      expect(Buffer.from((await store.get(keys.report(id)))!).equals(Buffer.from(reference))).toBe(true);
      store.close();
    });
  });

  describe('a chunk that throws', () => {
    /** The inline executor with a fault injected into the n-th chunk run. */
    class FaultyExecutor extends InlineExecutor {
      runs = 0;
      constructor(private readonly at: number, private readonly fault: () => unknown) { super(); }
      override async run(jobId: string, chunk: Chunk) {
        if (++this.runs === this.at) throw this.fault();
        return super.run(jobId, chunk);
      }
    }
    const run = async (executor: FaultyExecutor, log?: (m: string, e: unknown) => void) => {
      const store = new MemoryStore();
      const id = await seedJob(store, model, data);
      const record = await runAuditJob(id, { store, signingKey: key }, executor, { retry: { attempts: 3, delayMs: 1 }, log });
      return { store, id, record };
    };

    it('fails the job cleanly with the typed reason, keeping what was done', async () => {
      const ex = new FaultyExecutor(3, () => new EngineError('invalid_argument', 'expected a chunk the engine can run, got an injected fault'));
      const { store, id, record } = await run(ex);
      expect(record.status).toBe('failed');
      expect(record.error).toEqual({ code: 'invalid_argument', message: 'expected a chunk the engine can run, got an injected fault' });
      expect(ex.runs).toBe(3);
      expect(await store.get(keys.report(id))).toBeNull();
      expect((await listAll(store, keys.jobChunksPrefix(id))).length).toBe(1 + 2);
    });

    it('fails with an opaque internal_error for an untyped error, and logs the real one', async () => {
      const logged: unknown[] = [];
      const { record } = await run(new FaultyExecutor(2, () => new Error('secret internals /etc/qaudit')), (_, e) => logged.push(e));
      expect(record.status).toBe('failed');
      expect(record.error!.code).toBe('internal_error');
      expect(record.error!.message).not.toContain('secret internals');
      expect(logged.map((e) => (e as Error).message)).toContain('secret internals /etc/qaudit');
    });

    it('retries a transient error (retryable: true) and succeeds with the same report', async () => {
      const ex = new FaultyExecutor(4, () => Object.assign(new Error('worker restarted'), { retryable: true }));
      const { store, id, record } = await run(ex);
      expect(record.status).toBe('succeeded');
      expect(ex.runs).toBe(record.progress.total + 1);
      expect(Buffer.from((await store.get(keys.report(id)))!).equals(Buffer.from(reference))).toBe(true);
    });
  });
});
