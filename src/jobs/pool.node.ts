// A pool of worker threads, each with its own engine instance (wasm runs one thread per instance, so cores are
// used by running instances side by side). Implements ChunkExecutor: one chunk per thread at a time.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AuditSettings, Chunk } from '../engine/audit';
import type { ChunkRun, JobExecutor } from './executor';
import type { AuditInputs } from './inputs';
import type { RetrainInputs } from './retrain';
import { fromWire } from './protocol';
import type { FromWorker, ToWorker } from './protocol';

export const WORKER_FILE = 'audit-worker.mjs';

/**
 * The bundled worker entry: next to this module inside a bundle (dist/cli.mjs -> dist/audit-worker.mjs), else in
 * the project's dist/ when running from source (tests build it first; tfjs only works bundled, see build.mjs).
 */
export function defaultWorkerPath(): string {
  for (const rel of [`./${WORKER_FILE}`, `../../dist/${WORKER_FILE}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`expected the bundled worker dist/${WORKER_FILE}, got none: run \`npm run build\``);
}

interface Slot { worker: Worker; ready: Promise<void>; dead?: Error }
interface Pending { resolve(r: unknown): void; reject(e: Error): void }

export class ThreadPool implements JobExecutor {
  readonly concurrency: number;
  private readonly slots: Slot[];
  private readonly idle: Slot[] = [];
  private readonly waiting: ((s: Slot) => void)[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private nextId = 1;

  constructor(size = availableParallelism(), workerPath = defaultWorkerPath()) {
    this.concurrency = Math.max(1, size);
    this.slots = Array.from({ length: this.concurrency }, () => this.spawn(workerPath));
    this.idle.push(...this.slots);
  }

  private spawn(path: string): Slot {
    const worker = new Worker(path);
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const slot: Slot = { worker, ready: new Promise<void>((res, rej) => { ready = res; failed = rej; }) };
    slot.ready.catch(() => {});
    const die = (e: Error) => {
      slot.dead ??= e;
      failed(e);
      for (const [id, p] of this.pending) if (p.slot === slot) { this.pending.delete(id); p.reject(e); }
    };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') return ready();
      if (m.type === 'fatal') return die(fromWire(m.error));
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.run);
      else if (m.type === 'stepped') p.resolve(m.state);
      else p.reject(fromWire(m.error));
    });
    worker.on('error', (e) => die(e));
    worker.on('exit', (code) => die(new Error(`audit worker exited with code ${code}`)));
    return slot;
  }

  private post(slot: Slot, m: ToWorker): void {
    slot.worker.postMessage(m);
  }

  async open(jobId: string, inputs: AuditInputs, settings: AuditSettings): Promise<void> {
    // Every thread builds the context once: models, twins and data live in each engine instance.
    for (const s of this.slots) if (!s.dead) this.post(s, { type: 'open', jobId, inputs, settings });
  }

  private acquire(): Promise<Slot> {
    const s = this.idle.shift();
    return s ? Promise.resolve(s) : new Promise((res) => this.waiting.push(res));
  }

  private release(s: Slot): void {
    const next = this.waiting.shift();
    if (next) next(s);
    else this.idle.push(s);
  }

  /** Sends one request to a free thread and waits for its answer. */
  private async call<T>(message: (id: number) => ToWorker): Promise<T> {
    const slot = await this.acquire();
    try {
      await slot.ready;
      if (slot.dead) throw slot.dead;
      const id = this.nextId++;
      return await new Promise<T>((resolve, reject) => {
        this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, slot });
        this.post(slot, message(id));
      });
    } finally {
      this.release(slot);
    }
  }

  run(jobId: string, chunk: Chunk): Promise<ChunkRun> {
    return this.call((id) => ({ type: 'run', id, jobId, chunk }));
  }

  async openRetrain(jobId: string, inputs: RetrainInputs): Promise<void> {
    // Like audits, every thread opens the job, so a step can go to whichever thread is free.
    for (const s of this.slots) if (!s.dead) this.post(s, { type: 'open-retrain', jobId, inputs });
  }

  step(jobId: string, state: Uint8Array): Promise<Uint8Array> {
    return this.call((id) => ({ type: 'step', id, jobId, state }));
  }

  async close(jobId: string): Promise<void> {
    for (const s of this.slots) if (!s.dead) this.post(s, { type: 'close', jobId });
  }

  /** Stops every thread; the pool cannot be used afterwards. */
  async terminate(): Promise<void> {
    for (const s of this.slots) s.dead ??= new Error('the thread pool was terminated');
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
