// Runs bench measurements on worker threads, one engine instance each (wasm is single-threaded: PLATFORM.md).
// The bench bundle is its own worker entry: a worker re-imports this bundle and takes the `serveTask` branch.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startNodeEngine } from '../src/runtime/node';
import { prepareChunk, prepareRates } from './measure';
import type { ChunkMemory, KernelRates } from './measure';
import type { AuditSettingsInput } from '../src/engine/audit';
import type { ModelId } from './models';
import { prepareKernelTimes, type KernelTimes } from './flops';

export type Task =
  | { kind: 'rates'; model: ModelId; batch: number; pgdSteps: number; seconds: number }
  | { kind: 'memory'; model: ModelId; settings: AuditSettingsInput; attack: string }
  | { kind: 'kernels'; model: ModelId; batch: number };

export interface MemoryResult extends ChunkMemory {
  /** Process RSS (all threads) once the worker's engine was up, and the highest seen while it loaded and ran the chunk. */
  rssBefore: number;
  rssPeak: number;
}

/** True inside a bench worker: the bundle then serves one task and exits. */
export const inWorker = !isMainThread && (workerData as { bench?: boolean } | null)?.bench === true;

export async function serveTask(): Promise<void> {
  const task = (workerData as { task: Task }).task;
  await startNodeEngine();
  // Loading (MNIST JSON, model, twins) happens before 'ready', outside what is measured.
  const measure: () => unknown =
    task.kind === 'rates' ? await prepareRates(task.model, task.batch, task.pgdSteps, task.seconds)
    : task.kind === 'memory' ? await prepareChunk(task.model, task.settings, task.attack)
    : await prepareKernelTimes(task.model, task.batch);
  parentPort!.postMessage({ type: 'ready' });
  await new Promise<void>((res) => parentPort!.once('message', () => res()));
  const result = await measure();
  parentPort!.postMessage({ type: 'result', result });
}

/** Starts `n` workers on `task`, lets them all begin together once every engine is up, returns their results. */
export async function onWorkers<T>(entry: URL, task: Task, n: number, hooks: { beforeGo?(): void; tick?(): void } = {}): Promise<T[]> {
  const workers = Array.from({ length: n }, () => new Worker(entry, { workerData: { bench: true, task } }));
  const message = (w: Worker, type: string) =>
    new Promise<unknown>((res, rej) => {
      w.on('message', (m: { type: string; result?: unknown }) => m.type === type && res(m.result));
      w.once('error', rej);
    });
  const ready = workers.map((w) => message(w, 'ready'));
  const results = workers.map((w) => message(w, 'result'));
  await Promise.all(ready);
  hooks.beforeGo?.();
  const timer = hooks.tick ? setInterval(hooks.tick, 20) : undefined;
  try {
    for (const w of workers) w.postMessage('go');
    return (await Promise.all(results)) as T[];
  } finally {
    clearInterval(timer);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Summed throughput of `threads` engines measuring side by side. */
export async function ratesOnThreads(entry: URL, model: ModelId, threads: number, batch: number, pgdSteps: number, seconds: number): Promise<KernelRates> {
  const all = await onWorkers<KernelRates>(entry, { kind: 'rates', model, batch, pgdSteps, seconds }, threads);
  const sum = (k: keyof KernelRates) => all.reduce((a, r) => a + r[k], 0);
  return { forward: sum('forward'), pgd: sum('pgd'), heap: sum('heap') };
}

/** One chunk of `attack` on a fresh engine instance, with the process RSS sampled every 20 ms meanwhile. */
export async function memoryOfChunk(entry: URL, model: ModelId, settings: AuditSettingsInput, attack: string): Promise<MemoryResult> {
  let rssBefore = 0;
  let rssPeak = 0;
  const [r] = await onWorkers<ChunkMemory>(entry, { kind: 'memory', model, settings, attack }, 1, {
    // Once the worker has loaded model, data and twin: the delta is the chunk's own tensors and buffers.
    beforeGo: () => (rssBefore = rssPeak = process.memoryUsage().rss),
    tick: () => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)),
  });
  return { ...r!, rssBefore, rssPeak };
}

/** Time per tfjs kernel of one forward and one input gradient, on a fresh engine in one worker. */
export async function kernelTimes(entry: URL, model: ModelId, batch: number): Promise<KernelTimes> {
  const [r] = await onWorkers<KernelTimes>(entry, { kind: 'kernels', model, batch }, 1);
  return r!;
}
