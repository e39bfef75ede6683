// The audit steps on one thread: idempotent chunk steps, failures recorded cleanly, transient retries, cancel.
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors';
import { verifyEnvelope, exportPublicJwk, subjectMatches } from '../../src/attest';
import type { SigningKey } from '../../src/attest';
import { keys, isChunkId } from '../../src/storage/keys';
import { MemoryStore } from '../../src/storage/memory';
import { StorageError } from '../../src/storage/store';
import { chunkKey, chunkStep, prepare, stepId } from '../../src/jobs/audit';
import { requestCancel } from '../../src/jobs/lifecycle';
import type { JobDeps } from '../../src/jobs/lifecycle';
import { InlineExecutor, measureChunk } from '../../src/jobs/executor';
import type { ModelBytes } from '../../src/jobs/inputs';
import { openContext } from '../../src/jobs/inputs';
import { readRecord } from '../../src/jobs/record';
import { runAuditJob } from '../../src/jobs/runner';
import { runChunk } from '../../src/engine/audit';
import type { Chunk } from '../../src/engine/audit';
import type { Dataset } from '../../src/engine/data/types';
import { jobFixture, seedJob } from './_fixture';

/** A MemoryStore that counts writes per key and can fail the next n writes of chunk results. */
class CountingStore extends MemoryStore {
  readonly writes = new Map<string, number>();
  failChunkWrites = 0;
  override async putIfAbsent(key: string, bytes: Uint8Array, o?: { contentType?: string }) {
    if (key.includes('/chunks/') && this.failChunkWrites > 0) {
      this.failChunkWrites--;
      throw new StorageError('unavailable', 'expected the server to answer, got a 503', key);
    }
    const r = await super.putIfAbsent(key, bytes, o);
    if (r.written) this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
    return r;
  }
}

const fast = { retry: { delayMs: 1 } };

describe('audit steps', () => {
  let model: ModelBytes;
  let data: Dataset;
  let key: SigningKey;
  beforeAll(async () => {
    ({ model, data, key } = await jobFixture());
  });
  const deps = (store: MemoryStore): JobDeps => ({ store, signingKey: key });

  it('names every chunk step with a valid, distinct storage key', async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const { plan } = await prepare(id, deps(store));
    const names = await Promise.all(plan.chunks.map((c) => stepId(c.id)));
    expect(names.every(isChunkId)).toBe(true);
    expect(new Set(names).size).toBe(plan.chunks.length);
    expect(plan.chunks.length).toBe(27);
  });

  it('runs a chunk once: a second run finds the result, computes nothing and writes nothing', async () => {
    const store = new CountingStore();
    const id = await seedJob(store, model, data);
    const { plan, inputs } = await prepare(id, deps(store));
    const again = await prepare(id, deps(store));
    expect(again.plan).toEqual(plan);
    const open = openContext(inputs, plan.settings);
    let computed = 0;
    const compute = (c: Chunk) => { computed++; return measureChunk(open.ctx, c); };
    const chunk = plan.chunks.find((c) => c.kind === 'attack')!;
    // A computed chunk reports the engine's memory after it (the wasm heap: at least the 16 MB it starts with).
    const first = await chunkStep(id, chunk, deps(store), compute);
    expect(first.computed).toBe(true);
    expect(first.computed && first.memoryBytes).toBeGreaterThanOrEqual(16 * 2 ** 20);
    const k = await chunkKey(id, chunk.id);
    const bytes = await store.get(k);
    expect(await chunkStep(id, chunk, deps(store), compute)).toEqual({ computed: false });
    expect(computed).toBe(1);
    expect(store.writes.get(k)).toBe(1);
    expect(store.writes.get(keys.jobChunk(id, 'plan'))).toBe(1);
    // Recomputing from scratch gives the same bytes, so a crash between compute and write is harmless.
    expect(new TextEncoder().encode(JSON.stringify(await runChunk(open.ctx, chunk)))).toEqual(bytes);
    // A torn object (a writer killed mid-PUT on a server that writes in place) is recomputed and replaced.
    await store.put(k, bytes!.slice(0, 40));
    expect(await chunkStep(id, chunk, deps(store), compute)).toMatchObject({ computed: true });
    expect(await store.get(k)).toEqual(bytes);
    open.dispose();
  });

  it('completes a job, signs the report over the model digest, and retries transient store failures', async () => {
    const store = new CountingStore();
    const id = await seedJob(store, model, data);
    store.failChunkWrites = 2;
    const record = await runAuditJob(id, deps(store), new InlineExecutor(), fast);
    expect(record.status).toBe('succeeded');
    expect(record.progress).toMatchObject({ done: 27, total: 27 });
    // The finished record keeps the run's measures: the last chunk's time and memory, the peak against the plan.
    const { lastChunk, memory } = record.progress;
    expect(lastChunk!.seconds).toBeGreaterThanOrEqual(0);
    expect(lastChunk!.memoryBytes).toBeGreaterThanOrEqual(16 * 2 ** 20);
    expect(memory!.peakBytes).toBeGreaterThanOrEqual(lastChunk!.memoryBytes);
    expect(memory!.budgetBytes).toBe(128 * 2 ** 20);
    expect(memory!.plannedBytes).toBeGreaterThan(0);
    expect(memory!.plannedBytes).toBeLessThanOrEqual(memory!.budgetBytes);
    expect(record.reportId).toBe(id);
    const envelope = JSON.parse(new TextDecoder().decode((await store.get(keys.attestation(id)))!));
    const v = await verifyEnvelope(envelope, [await exportPublicJwk(key)]);
    expect(v.ok).toBe(true);
    const request = record.request as { model: string };
    if (v.ok) {
      expect(v.statement.subject[0]!.digest.sha256).toBe(request.model);
      expect(v.statement.predicate).toEqual(JSON.parse(new TextDecoder().decode((await store.get(keys.report(id)))!)));
      expect(await subjectMatches(v.statement, 'model', new Uint8Array([1]))).toBe(false);
    }
    expect([...store.writes.values()].every((n) => n === 1)).toBe(true);
  });

  it('fails the job with the engine error code and message when a chunk throws', async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const exec = new InlineExecutor();
    const run = exec.run.bind(exec);
    exec.run = async (job, c) => {
      if (c.kind === 'attack') throw new EngineError('limit_exceeded', 'expected at most 1 step, got 4');
      return run(job, c);
    };
    const record = await runAuditJob(id, deps(store), exec, fast);
    expect(record.status).toBe('failed');
    expect(record.error).toEqual({ code: 'limit_exceeded', message: 'expected at most 1 step, got 4' });
    expect(record.finishedAt).toBeDefined();
    expect(await store.get(keys.report(id))).toBeNull();
  });

  it('fails with an opaque internal error (no stack, no message internals) on an unexpected error', async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const exec = new InlineExecutor();
    exec.run = async () => { throw new TypeError('cannot read x of undefined at /secret/path.ts:12'); };
    const logged: unknown[] = [];
    const record = await runAuditJob(id, deps(store), exec, { ...fast, log: (_m, e) => logged.push(e) });
    expect(record.status).toBe('failed');
    expect(record.error!.code).toBe('internal_error');
    expect(JSON.stringify(record)).not.toMatch(/secret|TypeError|at /);
    expect(logged).toHaveLength(1);
  });

  it('fails a job whose request is invalid, naming the field', async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data, { chunkSize: 17 });
    const record = await runAuditJob(id, deps(store), new InlineExecutor(), fast);
    expect(record.status).toBe('failed');
    expect(record.error!.code).toBe('invalid_argument');
    expect(record.error!.message).toMatch(/^settings\.chunkSize/);
  });

  it('stops between steps when canceled, and marks the job canceled', async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    let chunks = 0;
    const record = await runAuditJob(id, deps(store), new InlineExecutor(), {
      ...fast,
      onEvent: async (e) => { if (e.type === 'chunk' && ++chunks === 3) await requestCancel(store, id); },
    });
    expect(record.status).toBe('canceled');
    expect(chunks).toBe(3);
    expect(record.progress.done).toBe(3);
    expect(await store.get(keys.report(id))).toBeNull();
    // A canceled job stays canceled when run again.
    expect((await runAuditJob(id, deps(store), new InlineExecutor(), fast)).status).toBe('canceled');
    expect((await readRecord(store, id))!.status).toBe('canceled');
  });
});
