// A retraining job on this machine (`qaudit retrain`): the service's own steps (prepare, then trainJob's checkpoint
// loop, retrain-runner.ts) on the engine of this thread, with a store the caller keeps across runs, so that a
// rerun of an interrupted job resumes from its newest checkpoint. No closing audits: the caller saves the model.
import { generateSigningKey, sha256Hex } from '../attest';
import { datasetToNpz } from '../engine/data/dataset';
import type { Dataset } from '../engine/data/types';
import type { RetrainConfig, RetrainState } from '../engine/train';
import { startNodeEngine } from '../runtime/node';
import { keys } from '../storage/keys';
import type { Store } from '../storage/store';
import { InlineExecutor } from './executor';
import type { BuiltinLoader, ModelBytes } from './inputs';
import { errorFromJSON, newJobRecord, readRecord, updateRecord, writeRecord } from './record';
import { latestCheckpoint } from './retrain';
import { trainJob } from './retrain-runner';
import { Canceled, settleJob } from './runner';
import type { RunOptions } from './runner';
import { putModel } from './runner.node';
import type { RetrainRequest } from './types';

export interface LocalRetrainOptions {
  /** Where the job's record and checkpoints live between runs (a DirStore in the CLI). */
  store: Store;
  /** The same id for the same job, so that a rerun finds its checkpoints. */
  jobId: string;
  model: ModelBytes;
  /** A training set, or 'mnist' for the built-in training split (needs `builtin`). */
  data: Dataset | 'mnist';
  builtin?: BuiltinLoader;
  config: RetrainConfig;
  onEvent?: RunOptions['onEvent'];
  log?: RunOptions['log'];
}

/** Runs (or resumes) the job's training to its last step and returns the final training state. */
export async function runRetrainLocally(o: LocalRetrainOptions): Promise<RetrainState> {
  const { store, jobId } = o;
  if (!(await readRecord(store, jobId))) {
    let dataset: RetrainRequest['dataset'] = 'mnist';
    if (o.data !== 'mnist') {
      const npz = datasetToNpz(o.data);
      const sha = await sha256Hex(npz);
      await store.putIfAbsent(keys.dataset(sha), npz);
      dataset = { sha256: sha, name: o.data.name };
    }
    const request: RetrainRequest = { model: await putModel(store, o.model), dataset, settings: { ...o.config }, audit: {}, evalDataset: 'mnist' };
    await writeRecord(store, newJobRecord(jobId, 'retrain', request as unknown as Record<string, unknown>));
  }
  await startNodeEngine();
  // Nothing is signed: the key only completes the deps every job step takes.
  const deps = { store, signingKey: await generateSigningKey(), builtin: o.builtin };
  const executor = new InlineExecutor();
  const opts: RunOptions = { onEvent: o.onEvent, log: o.log };
  const record = await settleJob(jobId, deps, executor, opts, async (retry, isCanceled) => {
    await trainJob(jobId, deps, executor, opts, retry, async () => {
      if (await isCanceled()) throw new Canceled();
    });
    await retry(() => updateRecord(store, jobId, (r) => ({
      ...r, status: 'succeeded', finishedAt: new Date().toISOString(), retrain: { ...r.retrain!, phase: 'done' },
    })));
  });
  if (record.status !== 'succeeded') throw errorFromJSON(record.error ?? { code: record.status, message: `retraining ${record.status}` });
  return (await latestCheckpoint(store, jobId))!.state;
}
