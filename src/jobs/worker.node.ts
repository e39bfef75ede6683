// Worker-thread entry (bundled to dist/audit-worker.mjs): one engine instance per thread, one audit context
// per open job, chunks run one at a time in message order.
import { parentPort } from 'node:worker_threads';
import { runChunk } from '../engine/audit';
import { startNodeEngine } from '../runtime/node';
import { openContext } from './inputs';
import type { OpenContext } from './inputs';
import { toWire } from './protocol';
import type { FromWorker, ToWorker } from './protocol';

const port = parentPort;
if (!port) throw new Error('audit-worker must run in a worker thread');
const post = (m: FromWorker) => port.postMessage(m);
const contexts = new Map<string, OpenContext>();
const failedOpen = new Map<string, unknown>();

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'open':
      try {
        contexts.get(m.jobId)?.dispose();
        contexts.set(m.jobId, openContext(m.inputs, m.settings));
      } catch (e) {
        failedOpen.set(m.jobId, e);
      }
      return;
    case 'run': {
      try {
        const c = contexts.get(m.jobId);
        if (!c) throw failedOpen.get(m.jobId) ?? new Error(`job ${m.jobId} is not open in this worker`);
        post({ type: 'result', id: m.id, result: await runChunk(c.ctx, m.chunk) });
      } catch (e) {
        post({ type: 'error', id: m.id, error: toWire(e) });
      }
      return;
    }
    case 'close':
      contexts.get(m.jobId)?.dispose();
      contexts.delete(m.jobId);
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
