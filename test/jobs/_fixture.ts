// Jobs test fixture: a tiny real tfjs model (bytes), a data set it labels itself, cheap audit settings, and a
// store seeded with all of it plus a queued job record.
import * as tf from '@tensorflow/tfjs-core';
import type { AuditSettingsInput } from '../../src/engine/audit';
import { datasetToNpz } from '../../src/engine/data/dataset';
import type { Dataset } from '../../src/engine/data/types';
import { loadLayersModel } from '../../src/engine/model';
import { Rng } from '../../src/engine/rng';
import { sha256Hex } from '../../src/attest';
import { keys, newId } from '../../src/storage/keys';
import type { Store } from '../../src/storage/store';
import type { ModelBytes } from '../../src/jobs/inputs';
import { newJobRecord, writeRecord } from '../../src/jobs/record';
import { putModel, runAuditLocally } from '../../src/jobs/runner.node';
import { initEngine } from '../../src/engine/backend';
import { generateSigningKey, type SigningKey } from '../../src/attest';
import { loadWasm } from '../wasm';
import type { AuditRequest } from '../../src/jobs/types';
import { buildLayersModel } from '../helpers/models';

export const N = 48;

/** 3 attacks x (float, w4) x 3 chunks of 16 samples, plus clean (3), layers, sanity (2) and transfer (3): 27 chunks. */
export const SETTINGS: AuditSettingsInput = {
  attacks: ['fgsm', 'pgd', 'square', 'transfer'], bits: [4], epsilons: [0.3],
  steps: 4, stepSize: 0.1, queries: 10, limit: N, chunkSize: 16, examples: 2,
};

export function tinyModel(): ModelBytes {
  const m = buildLayersModel(
    [{ type: 'flatten' }, { type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 3 }],
    { inputShape: [4, 4, 1], seed: 3 },
  );
  return { modelJson: m.json, shards: [...m.shards] };
}

/** N random images labelled by the model itself (needs the engine started on this thread). */
export function teacherData(model: ModelBytes): Dataset {
  const r = new Rng(7, 'jobs-data');
  const x = Uint8Array.from({ length: N * 16 }, () => r.int(256));
  const m = loadLayersModel(model.modelJson, new Map(model.shards));
  const y = tf.tidy(() => tf.argMax(m.logits(tf.div(tf.tensor4d(x, [N, 4, 4, 1], 'float32'), 255) as tf.Tensor4D), 1).dataSync());
  m.dispose();
  return { name: 'tiny-synthetic', x, y: Int32Array.from(y), shape: [N, 4, 4, 1] };
}

/** Puts model and data in the store and writes a queued audit record; returns the job id. */
export async function seedJob(store: Store, model: ModelBytes, data: Dataset, settings: AuditSettingsInput = SETTINGS): Promise<string> {
  const sha = await putModel(store, model);
  const npz = datasetToNpz(data);
  const dsSha = await sha256Hex(npz);
  await store.putIfAbsent(keys.dataset(dsSha), npz);
  const request: AuditRequest = { model: sha, dataset: { sha256: dsSha, name: data.name }, settings: settings as Record<string, unknown> };
  const id = newId();
  await writeRecord(store, newJobRecord(id, 'audit', request as unknown as Record<string, unknown>));
  return id;
}

/** What most job tests start from: the engine, the tiny model, data it labels itself, and a signing key. */
export async function jobFixture(): Promise<{ model: ModelBytes; data: Dataset; key: SigningKey }> {
  await initEngine(await loadWasm());
  const model = tinyModel();
  return { model, data: teacherData(model), key: await generateSigningKey() };
}

/** The Workflow tests' start: jobFixture and the Node runner's report bytes of SETTINGS. */
export async function workflowFixture(): Promise<{ model: ModelBytes; data: Dataset; key: SigningKey; expected: Uint8Array }> {
  const f = await jobFixture();
  const { reportBytes } = await runAuditLocally({ modelJson: f.model.modelJson, shards: f.model.shards, data: f.data, settings: SETTINGS, signingKey: f.key, threads: 0 });
  return { ...f, expected: reportBytes };
}
