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

interface Child { proc: ChildProcess; computed: string[]; exited: Promise<number | null> }

function child(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [CHILD_PATH], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const computed: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const e = JSON.parse(buf.slice(0, i)) as { chunkId: string; computed: boolean };
      if (e.computed) computed.push(e.chunkId);
      buf = buf.slice(i + 1);
    }
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return { proc, computed, exited };
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
    // Kill once a few chunk results are stored, well before the 27 the plan has.
    while (first.computed.length < 4) await new Promise((r) => setTimeout(r, 20));
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const storedAtKill = (await store.list(keys.jobChunksPrefix(id))).keys.length - 1; // minus the plan
    const record = (await readRecord(store, id))!;
    expect(record.status).toBe('running');
    expect(storedAtKill).toBeGreaterThanOrEqual(4);
    expect(storedAtKill).toBeLessThan(27);

    const second = child(env);
    expect(await second.exited).toBe(0);
    const done = (await readRecord(store, id))!;
    expect(done.status).toBe('succeeded');
    // Only what was missing was computed again.
    expect(second.computed.length).toBe(27 - storedAtKill);
    expect(second.computed.filter((c) => first.computed.includes(c))).toEqual([]);

    const uninterrupted = await runAuditLocally({
      modelJson: model.modelJson, shards: model.shards, data, settings: SETTINGS, signingKey: key, threads: 1, workerPath: WORKER_PATH,
    });
    const bytes = (await store.get(keys.report(id)))!;
    expect(Buffer.from(bytes).equals(Buffer.from(uninterrupted.reportBytes))).toBe(true);
    expect(new TextDecoder().decode((await store.get(keys.attestation(id)))!)).toBe(JSON.stringify(uninterrupted.attestation));
  });
});
