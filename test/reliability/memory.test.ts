// Memory through the zip bombs and an endless upload, measured in the server's own process: the real Node server
// (npm start's entry) runs as a child with a probe preloaded (_memory-probe.mjs) that, over IPC, collects garbage and
// resets the kernel's peak RSS before each case and reports the peak after it; this process only sends requests, so
// nothing it allocates is counted, and no case is charged for the garbage of the one before.
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { ensureBuilt } from '../jobs/_build';
import { startServerProcess } from './_child';
import { bin, multipart, tinyModel } from '../routes/_app';
import { BOMB_BYTES, CORPUS, JSON_LIMIT, prepareCorpus, UPLOAD_LIMIT } from './corpus';
import { HIGH_LIMITS } from './_server';

const MiB = 1024 * 1024;
/** Peak RSS growth allowed during one case: a quarter of what one bomb inflates to, far above the real cost. */
const BOUND = BOMB_BYTES / 4;
const PROBE = fileURLToPath(new URL('./_memory-probe.mjs', import.meta.url));

interface Memory { peakRss: number; rss: number; heapUsed: number }
interface Child { proc: ChildProcess; url: string; ask<T>(what: 'reset' | 'memory'): Promise<T>; stop(): Promise<void> }

async function startServer(dir: string): Promise<Child> {
  const env = {
    ...process.env, ...HIGH_LIMITS, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, SIGNING_KEY_FILE: join(dir, 'keys', 'k.json'),
    MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT), MAX_JSON_BYTES: String(JSON_LIMIT),
  };
  const { proc, url, exited } = await startServerProcess(env, ['--expose-gc', '--import', PROBE], true);
  const ask = <T>(what: 'reset' | 'memory') => new Promise<T>((ok, fail) => {
    const on = (m: { type?: string }) => { if (m.type === what) { proc.off('message', on); ok(m as T); } };
    proc.on('message', on);
    proc.send(what, (e) => { if (e) fail(e); });
  });
  const stop = async () => {
    proc.kill('SIGTERM');
    await exited;
  };
  return { proc, url, ask, stop };
}

/** POSTs `total` zero bytes in chunks, without a content-length; resolves with the status, or 0 when the server cut
 *  the connection first (it stops reading past the limit, and a socket closed with unread data may be reset). */
function endlessUpload(url: string, path: string, total: number): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(url + path, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } });
    let status = 0;
    let sent = 0;
    req.on('response', (res) => { status = res.statusCode!; res.resume(); res.on('end', () => ok(status)); res.on('error', () => ok(status)); });
    req.on('error', (e: NodeJS.ErrnoException) => (['ECONNRESET', 'EPIPE'].includes(e.code ?? '') ? ok(status) : fail(e)));
    const piece = Buffer.alloc(MiB);
    const pump = () => {
      while (sent < total && !status && !req.destroyed) {
        sent += piece.length;
        if (!req.write(piece)) { req.once('drain', pump); return; }
      }
      if (!status && !req.destroyed) req.end();
    };
    pump();
  });
}

describe('memory of the server through bombs and an endless upload (child process)', () => {
  let dir: string;
  let s: Child;
  /** RSS after the reset before the case (garbage collected): the case's peak is measured from here. */
  let before: Memory;
  beforeAll(async () => {
    prepareCorpus();
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'qaudit-memory-'));
    s = await startServer(dir);
    // Warm-up: every parser the cases reach runs once on a valid input, so that start-up costs are not counted.
    const valid: [string, BodyInit, string | undefined][] = [
      ['/v1/models', multipart(tinyModel(7)), undefined],
      ['/v1/datasets', bin(datasetToNpz({ name: 'w', x: new Uint8Array(2 * 16), y: Int32Array.of(0, 1), shape: [2, 4, 4, 1] })), 'application/octet-stream'],
      ['/v1/datasets', bin(zipSync({ 'a/1.png': encodePng({ width: 2, height: 2, channels: 1, depth: 8, data: new Uint8Array(4) }), 'b/1.png': encodePng({ width: 2, height: 2, channels: 1, depth: 8, data: new Uint8Array([9, 9, 9, 9]) }) })), 'application/zip'],
    ];
    for (const [path, body, type] of valid) {
      const res = await fetch(s.url + path, { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
      expect(res.status, await res.text()).toBeLessThan(300);
    }
    const m = await s.ask<Memory>('memory');
    console.log(`[memory] warmed-up server: peak RSS ${(m.peakRss / MiB).toFixed(0)} MiB, RSS ${(m.rss / MiB).toFixed(0)} MiB, heap ${(m.heapUsed / MiB).toFixed(0)} MiB`);
  }, 300_000);
  beforeEach(async () => {
    const { reset } = await s.ask<{ reset: boolean }>('reset');
    // Without a resettable peak (not Linux) the peak is the process's since start: a looser, still valid bound.
    if (!reset) console.log('[memory] peak RSS cannot be reset here: the peaks below are since the server started');
    before = await s.ask<Memory>('memory');
  });
  afterAll(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const check = async (name: string) => {
    const m = await s.ask<Memory>('memory');
    const grew = m.peakRss - before.rss;
    console.log(`[memory] ${name}: peak RSS ${(before.rss / MiB).toFixed(0)} -> ${(m.peakRss / MiB).toFixed(0)} MiB (+${(grew / MiB).toFixed(1)}), heap ${(before.heapUsed / MiB).toFixed(0)} -> ${(m.heapUsed / MiB).toFixed(0)} MiB`);
    // The kernel's high-water mark: no moment of the case went past the bound.
    expect(grew).toBeLessThan(BOUND);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  };

  it.each(CORPUS.filter((c) => c.memory).map((c) => [c.name, c] as const))('%s', { timeout: 120_000 }, async (name, c) => {
    const { body, type } = c.body();
    const res = await fetch(s.url + c.path, { method: 'POST', body, headers: type === undefined ? {} : { 'content-type': type } });
    expect(res.status, await res.text()).toBe(c.status);
    await check(name);
  });

  it('an upload streamed without a length, 64 times the limit, is cut at the limit', { timeout: 120_000 }, async () => {
    const models = await endlessUpload(s.url, '/v1/models', 64 * UPLOAD_LIMIT);
    await check('endless upload to /v1/models');
    const datasets = await endlessUpload(s.url, '/v1/datasets', 64 * UPLOAD_LIMIT);
    await check('endless upload to /v1/models, then /v1/datasets');
    // 413, or the connection cut by the server once it stopped reading (a socket closed on unread data may be reset).
    expect([0, 413]).toContain(models);
    expect([0, 413]).toContain(datasets);
  });
});
