// What the CLI's server commands share (submit, retrain --server): uploads, following a job's progress, exit codes.
import { readFile } from 'node:fs/promises';
import { CATEGORIES, EngineError, categoryOf } from '../engine/errors';
import { errorFromJSON } from '../jobs/record';
import { isDirectory, zipDirectory, type ModelFiles } from './files';
import { ApiError, NetworkError, exitCodeOf } from './http';
import type { ApiClient } from './http';
import { createProgress } from './progress';

/** A failure with its exit code: the job failed or was canceled, a wait timed out, a signature did not check. */
export class RemoteError extends Error {
  constructor(message: string, readonly exitCode: 2 | 3) {
    super(message);
  }
}

/** A --poll-interval or --timeout value in seconds. */
export function seconds(flag: string, v: string, max: number): number {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n <= max)) throw new EngineError('invalid_argument', `${flag}: expected seconds in (0, ${max}], got '${v}'`);
  return n;
}

/** What `follow` reads of a job (an audit or a retraining job). */
export interface JobView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
  phase?: string;
  progress: { done: number; total: number; current?: string; etaSeconds?: number };
  error?: { code: string; message: string };
  links: { self: string };
}

export async function uploadModel(client: ApiClient, files: ModelFiles, digest: string): Promise<string> {
  const form = new FormData();
  // The server finds model.json by its file name, whatever the local file is called.
  // Copies: Blob takes only ArrayBuffer-backed views, and the file readers type theirs loosely.
  form.append('model', new Blob([new Uint8Array(files.jsonBytes)]), 'model.json');
  for (const [name, bytes] of files.shards) form.append('shard', new Blob([new Uint8Array(bytes)]), name);
  const res = await client.request('POST', '/v1/models', { body: form, idempotent: true });
  const { id, created } = (await res.json()) as { id: string; created: boolean };
  if (id !== digest) throw new RemoteError(`expected the server to store the model as sha256:${digest}, got ${id}`, 3);
  console.log(`model ${id} ${created ? 'uploaded' : 'already on the server'}`);
  return id;
}

/** 'mnist' (the server's built-in split), the id of an uploaded file (.npz or zip of images) or folder of class folders, or an id as is. */
export async function resolveData(client: ApiClient, spec: string, flag = '--data'): Promise<string> {
  if (spec === 'mnist' || spec === 'mnist-test') return 'mnist';
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await isDirectory(spec) ? await zipDirectory(spec) : await readFile(spec));
  } catch (e) {
    if (e instanceof EngineError) throw e;
    if (/^[0-9a-f]{64}$/.test(spec)) return spec;
    throw new EngineError('invalid_argument', `${flag}: expected mnist, a readable .npz file, a zip or folder of class folders of images, or a data set id, got ${spec} (${(e as Error).message})`);
  }
  const res = await client.request('POST', '/v1/datasets', { body: bytes, headers: { 'content-type': 'application/octet-stream' }, idempotent: true });
  const { id } = (await res.json()) as { id: string };
  console.log(`data ${id} uploaded`);
  return id;
}

export interface FollowOptions { pollMs: number; timeoutMs: number; quiet: boolean; noun: string; verb?: string; unit?: string }

/** A retraining job's progress counts training steps, then audit chunks: one bar for each part. */
const part = (phase: string | undefined) => (phase === 'auditing' || phase === 'reporting' || phase === 'done' ? 'audit' : 'main');

/** Polls the job until it finishes, feeding the progress bar (a second one for a retraining job's audits); throws on timeout. */
export async function follow<T extends JobView>(client: ApiClient, job: T, o: FollowOptions): Promise<T> {
  let progress = createProgress(o.quiet, o.verb, o.unit);
  let shown = part(job.phase);
  let lastTotal = 0;
  const deadline = Date.now() + o.timeoutMs;
  try {
    for (let a = job; ; a = await client.json<T>('GET', a.links.self)) {
      if (part(a.phase) !== shown) {
        // Training is over once the job audits, however many polls it took: close its bar at 100%.
        if (lastTotal > 0) progress.update(lastTotal, lastTotal, '');
        progress.stop();
        progress = createProgress(o.quiet, 'auditing', 'chunks');
        shown = part(a.phase);
      }
      const { done, total, current, etaSeconds } = a.progress;
      lastTotal = total;
      const label = [a.status === 'queued' ? 'queued on the server' : current ?? '', etaSeconds === undefined ? '' : `(server eta ${Math.round(etaSeconds)} s)`];
      if (total > 0 && a.status !== 'failed' && a.status !== 'canceled') progress.update(done, total, label.filter(Boolean).join(' '));
      if (a.status === 'succeeded' || a.status === 'failed' || a.status === 'canceled') return a;
      if (Date.now() + o.pollMs > deadline) {
        throw new RemoteError(`expected ${o.noun} ${a.id} to finish within ${o.timeoutMs / 1000} s, got status ${a.status} (${done}/${total}); it continues on the server: ${client.url(a.links.self)}`, 3);
      }
      await new Promise((ok) => setTimeout(ok, o.pollMs));
    }
  } finally {
    progress.stop();
  }
}

/** Throws the exit code a finished-but-unsuccessful job means: 2 when the server refused the input, else 3. */
export function checkSucceeded(job: JobView, noun: string): void {
  if (job.status === 'canceled') throw new RemoteError(`${noun} ${job.id} was canceled on the server`, 3);
  if (job.status === 'failed') {
    const err = job.error ?? { code: 'unknown', message: 'no reason given' };
    throw new RemoteError(`${noun} ${job.id} failed: ${err.code}: ${err.message}`, CATEGORIES[categoryOf(errorFromJSON(err))].exit);
  }
}

/** Runs a server command, printing a refusal, an unreachable server or a failed job as one line with its exit code. */
export async function withRemoteErrors(f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RemoteError) return (console.error(`qaudit: ${e.message}`), e.exitCode);
    if (e instanceof ApiError || e instanceof NetworkError) {
      const hint = e instanceof ApiError && e.status === 401 ? '; pass --api-key or set QAUDIT_API_KEY' : '';
      return (console.error(`qaudit: ${e.message}${hint}`), exitCodeOf(e));
    }
    throw e;
  }
}
