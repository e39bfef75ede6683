// Kill-and-resume: a child process running an audit against a real S3 server (s3rver) is SIGKILLed mid-audit;
// a new process resumes from the stored chunks, recomputes none of them, and writes the same report.json bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { initEngine } from '../../src/engine/backend';
import { exportPrivateJwk, generateSigningKey } from '../../src/attest';
import type { SigningKey } from '../../src/attest';
import { keys } from '../../src/storage/keys';
import { S3Store } from '../../src/storage/s3';
import type { ModelBytes } from '../../src/jobs/inputs';
import { readRecord } from '../../src/jobs/record';
import { runAuditLocally } from '../../src/jobs/runner.node';
import type { Dataset } from '../../src/engine/data/types';
import { loadWasm } from '../wasm';
import { startS3 } from '../_s3';
import { CHILD_PATH, WORKER_PATH, ensureBuilt } from './_build';
import { SETTINGS, seedJob, teacherData, tinyModel } from './_fixture';

interface Child { proc: ChildProcess; computed: string[]; skipped: string[]; exited: Promise<number | null> }

/** Chunk ids whose stored result is whole JSON of that chunk (a torn object, cut by the kill, is not). */
async function wholeChunks(store: S3Store, id: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const k of (await store.list(keys.jobChunksPrefix(id))).keys) {
    try {
      const v = JSON.parse(new TextDecoder().decode((await store.get(k))!)) as { id?: unknown };
      if (typeof v.id === 'string') out.add(v.id);
    } catch { /* torn */ }
  }
  return out;
}

function child(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [CHILD_PATH], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const computed: string[] = [];
  const skipped: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const e = JSON.parse(buf.slice(0, i)) as { chunkId: string; computed: boolean };
      (e.computed ? computed : skipped).push(e.chunkId);
      buf = buf.slice(i + 1);
    }
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return { proc, computed, skipped, exited };
}

describe('kill -9 and resume', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let model: ModelBytes;
  let data: Dataset;
  let key: SigningKey;
  beforeAll(async () => {
    await Promise.all([ensureBuilt(), initEngine(await loadWasm())]);
    s3 = await startS3();
    model = tinyModel();
    data = teacherData(model);
    key = await generateSigningKey({ extractable: true });
  }, 60_000);
  afterAll(async () => { await s3?.stop(); });

  it('completes from the last finished chunk with a report identical to an uninterrupted run', { timeout: 90_000 }, async () => {
    const store = new S3Store(s3.config);
    const id = await seedJob(store, model, data);
    const env = { QA_S3: JSON.stringify(s3.config), QA_KEY: JSON.stringify(await exportPrivateJwk(key)), QA_WORKER: WORKER_PATH, QA_THREADS: '2' };

    const first = child({ ...env, QA_DELAY_MS: '300' });
    // Kill once a few chunk results are stored, well before the 27 the plan has; a child that dies first fails
    // the test at once with its exit code instead of a timeout.
    const early = first.exited.then((code) => { throw new Error(`the first child exited (${code}) after ${first.computed.length} chunks, before the kill`); });
    early.catch(() => undefined);
    while (first.computed.length < 4) await Promise.race([new Promise((r) => setTimeout(r, 20)), early]);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    // A PUT in flight at the kill may land later, or leave a torn object on s3rver: count only whole results.
    const whole = await wholeChunks(store, id);
    const record = (await readRecord(store, id))!;
    expect(record.status).toBe('running');
    expect(whole.size).toBeGreaterThanOrEqual(4);
    expect(whole.size).toBeLessThan(27);

    const second = child(env);
    expect(await second.exited).toBe(0);
    const done = (await readRecord(store, id))!;
    expect(done.status).toBe('succeeded');
    // Every result that was whole when the second run started was kept, none computed twice by it; a write that
    // landed after the count only means fewer to compute.
    expect(second.computed.length + second.skipped.length).toBe(27);
    expect(second.computed.length).toBeLessThanOrEqual(27 - whole.size);
    expect(new Set(second.computed).size).toBe(second.computed.length);
    expect(second.computed.filter((c) => whole.has(c))).toEqual([]);

    const uninterrupted = await runAuditLocally({
      modelJson: model.modelJson, shards: model.shards, data, settings: SETTINGS, signingKey: key, threads: 1, workerPath: WORKER_PATH,
    });
    const bytes = (await store.get(keys.report(id)))!;
    expect(Buffer.from(bytes).equals(Buffer.from(uninterrupted.reportBytes))).toBe(true);
    expect(new TextDecoder().decode((await store.get(keys.attestation(id)))!)).toBe(JSON.stringify(uninterrupted.attestation));
  });
});
