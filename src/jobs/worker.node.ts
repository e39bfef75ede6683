// Worker-thread entry (bundled to dist/audit-worker.mjs): one engine instance per thread, one context per open
// job (an audit's models and data, or a retraining job's float model and training set), work run in message order.
import { parentPort } from 'node:worker_threads';
import { startNodeEngine } from '../runtime/node';
import { measureChunk } from './executor';
import { openContext } from './inputs';
import type { OpenContext } from './inputs';
import { toWire } from './protocol';
import type { FromWorker, ToWorker } from './protocol';
import { openRetrainContext } from './retrain';
import type { RetrainContext } from './retrain';

const port = parentPort;
if (!port) throw new Error('audit-worker must run in a worker thread');
const post = (m: FromWorker) => port.postMessage(m);
const contexts = new Map<string, OpenContext>();
const training = new Map<string, RetrainContext>();
const failedOpen = new Map<string, unknown>();

function opened<T>(map: Map<string, T>, jobId: string): T {
  const c = map.get(jobId);
  if (!c) throw failedOpen.get(jobId) ?? new Error(`job ${jobId} is not open in this worker`);
  return c;
}

/** Builds a job's context; a failure is kept and thrown by the job's next request. */
function open<T extends { dispose(): void }>(map: Map<string, T>, jobId: string, make: () => T): void {
  try {
    map.get(jobId)?.dispose();
    map.set(jobId, make());
  } catch (e) {
    failedOpen.set(jobId, e);
  }
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'open':
      return open(contexts, m.jobId, () => openContext(m.inputs, m.settings));
    case 'open-retrain':
      return open(training, m.jobId, () => openRetrainContext(m.inputs));
    case 'run':
      try {
        post({ type: 'result', id: m.id, run: await measureChunk(opened(contexts, m.jobId).ctx, m.chunk) });
      } catch (e) {
        post({ type: 'error', id: m.id, error: toWire(e) });
      }
      return;
    case 'step':
      try {
        const state = opened(training, m.jobId).step(m.state);
        port!.postMessage({ type: 'stepped', id: m.id, state } satisfies FromWorker, [state.buffer as ArrayBuffer]);
      } catch (e) {
        post({ type: 'error', id: m.id, error: toWire(e) });
      }
      return;
    case 'close':
      contexts.get(m.jobId)?.dispose();
      contexts.delete(m.jobId);
      training.get(m.jobId)?.dispose();
      training.delete(m.jobId);
      failedOpen.delete(m.jobId);
      return;
  }
}

// Messages are handled strictly in order, after the engine has started.
let chain: Promise<void> = startNodeEngine().then(
  () => post({ type: 'ready' }),
  (e) => post({ type: 'fatal', error: toWire(e) }),
);
port.on('message', (m: ToWorker) => {
  chain = chain.then(() => handle(m));
});
