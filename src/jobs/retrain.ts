// The retraining job as resumable steps shared by both drivers: prepare (checkpoint 0), one step per training
// step (checkpoint n -> n+1 in the store), finish (the repaired model stored, the two closing audits queued).
import { fitSource, sourceSize } from '../engine/data/source';
import type { Dataset } from '../engine/data/types';
import { expect } from '../engine/errors';
import { saveLayersModel } from '../engine/model';
import type { Model } from '../engine/model/types';
import { deserializeState, finish, initRetrain, isDone, resolveRetrainConfig, retrainStep, serializeState } from '../engine/train';
import type { RetrainConfig, RetrainState } from '../engine/train';
import { planAudit, parseSettings } from '../engine/audit';
import { sha256Hex } from '../attest';
import { modelDigest } from '../storage/digest';
import { keys } from '../storage/keys';
import { StorageError, bytesEqual, listAll } from '../storage/store';
import type { Store } from '../storage/store';
import { writeOnce } from './lifecycle';
import type { JobDeps } from './lifecycle';
import { loadDataset, loadModelBytes, toModel } from './inputs';
import type { ModelBytes } from './inputs';
import { newJobRecord, readRecord, toJsonBytes, updateRecord, writeRecord } from './record';
import { parseRetrainRequest } from './request';
import type { AuditRequest, JobProgress, JobRecord, LossPoint, RetrainDetail, RetrainRequest } from './types';

/** What one engine instance needs to run training steps: plain data, so a Node runner can post it to a thread. */
export interface RetrainInputs {
  model: ModelBytes;
  /** The training set fitted to the model. */
  data: Dataset;
  config: RetrainConfig;
}

/** The engine side of a retraining job on one engine instance: checkpoint bytes in, next checkpoint bytes out. */
export interface RetrainContext {
  step(state: Uint8Array): Uint8Array;
  dispose(): void;
}

export function openRetrainContext(inputs: RetrainInputs): RetrainContext {
  const float = toModel(inputs.model);
  return {
    step: (bytes) => serializeState(retrainStep(deserializeState(bytes), float, inputs.data, inputs.config)),
    dispose: () => float.dispose(),
  };
}

export async function loadRetrainInputs(store: Store, request: RetrainRequest, deps: Pick<JobDeps, 'builtin'>): Promise<{ inputs: RetrainInputs; model: Model }> {
  const config = resolveRetrainConfig(request.settings);
  const modelBytes = await loadModelBytes(store, request.model);
  const raw = await loadDataset(store, request.dataset, deps.builtin, 'mnist-train');
  const model = toModel(modelBytes);
  try {
    return { inputs: { model: modelBytes, data: fitSource(raw, model.inputShape, model.numClasses), config }, model };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Training steps of the whole job (each `batchesPerStep` mini-batches). */
export const plannedSteps = (s: RetrainState, c: RetrainConfig): number => Math.ceil(s.plannedBatches / c.batchesPerStep);

/** The newest whole checkpoint: a torn object (s3rver writes in place) is skipped in favour of the one before. */
export async function latestCheckpoint(store: Store, jobId: string): Promise<{ step: number; bytes: Uint8Array; state: RetrainState } | null> {
  for (const key of (await listAll(store, keys.jobCheckpointsPrefix(jobId))).reverse()) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    try {
      const state = deserializeState(bytes);
      return { step: state.steps, bytes, state };
    } catch {
      // torn: fall back to the previous step's checkpoint, which the next step recomputes identically
    }
  }
  return null;
}

/** Stores the checkpoint after `state.steps` steps (write-once; a torn copy is replaced) and drops all but the previous one. */
export async function writeCheckpoint(store: Store, jobId: string, bytes: Uint8Array, step: number): Promise<void> {
  await writeOnce(store, keys.jobCheckpoint(jobId, step), (stored) => bytesEqual(stored, bytes), () => bytes);
  // Two are kept so that a torn newest one still has a whole predecessor.
  for (let s = step - 2; s >= Math.max(0, step - 4); s--) await store.delete(keys.jobCheckpoint(jobId, s));
}

export const lossCurve = (s: RetrainState): LossPoint[] => s.metrics.map((m) => ({ ...m }));

async function patchDetail(store: Store, jobId: string, patch: (r: JobRecord, d: RetrainDetail) => Partial<JobRecord> & { detail?: Partial<RetrainDetail> }): Promise<void> {
  await updateRecord(store, jobId, (r) => {
    const d = r.retrain ?? { phase: 'queued', loss: [] };
    const { detail, ...rest } = patch(r, d);
    return { ...r, ...rest, retrain: { ...d, ...detail } };
  });
}

/**
 * Step `prepare`: validates the request against the stored model and data and writes checkpoint 0 unless one
 * exists. Returns the validated request, the settings, the newest checkpoint and the job's step count.
 */
export async function prepareRetrain(jobId: string, deps: JobDeps, now = () => new Date()) {
  const record = await readRecord(deps.store, jobId);
  if (!record) throw new StorageError('not_found', `expected a job record at ${keys.jobState(jobId)}, got none`, keys.jobState(jobId));
  const request = parseRetrainRequest(record.request);
  const { inputs, model } = await loadRetrainInputs(deps.store, request, deps);
  try {
    let latest = await latestCheckpoint(deps.store, jobId);
    if (!latest) {
      const state = initRetrain(model, inputs.config, inputs.data.shape[0]);
      const bytes = serializeState(state);
      await writeCheckpoint(deps.store, jobId, bytes, 0);
      latest = { step: 0, bytes, state };
    }
    const total = plannedSteps(latest.state, inputs.config);
    const done = isDone(latest.state);
    await patchDetail(deps.store, jobId, (r) => ({
      status: 'running', startedAt: r.startedAt ?? now().toISOString(),
      ...(done ? {} : { progress: { done: latest.step, total, current: `train step ${latest.step + 1}/${total}` } }),
      detail: { phase: done ? 'auditing' : 'training', loss: lossCurve(latest.state) },
    }));
    return { request, inputs, latest, total };
  } finally {
    model.dispose();
  }
}

/** After a training step: the checkpoint stored, then the record's progress and loss curve. */
export async function recordTrainingStep(store: Store, jobId: string, bytes: Uint8Array, total: number, etaSeconds?: number): Promise<RetrainState> {
  const state = deserializeState(bytes);
  await writeCheckpoint(store, jobId, bytes, state.steps);
  const progress: JobProgress = {
    done: state.steps, total, ...(state.steps < total ? { current: `train step ${state.steps + 1}/${total}` } : {}),
    ...(etaSeconds !== undefined ? { etaSeconds } : {}),
  };
  await patchDetail(store, jobId, (r) => (r.status === 'running' ? { progress, detail: { loss: lossCurve(state) } } : {}));
  return state;
}

/** The closing audits' ids: derived from the job's (unguessable) id, so a resumed finish step finds the same ones. */
export async function childAuditIds(jobId: string): Promise<{ before: string; after: string }> {
  return { before: (await sha256Hex(`${jobId}/audit/before`)).slice(0, 32), after: (await sha256Hex(`${jobId}/audit/after`)).slice(0, 32) };
}

/** Stores a model in the upload layout (content-addressed) and returns its sha256. */
/**
 * The one serialization of a retrained model.json (compact JSON, no trailing newline, the shard named
 * `shardName`), written by the server and by `qaudit retrain` alike, so the same weights get one model id.
 */
export function modelJsonBytes(json: object, shardName = 'weights.bin'): Uint8Array {
  return toJsonBytes({ ...json, weightsManifest: (json as { weightsManifest: { paths: string[] }[] }).weightsManifest.map((g) => ({ ...g, paths: [shardName] })) });
}

export async function putModelBytes(store: Store, json: object, weights: Uint8Array, shardName = 'weights.bin'): Promise<string> {
  const jsonBytes = modelJsonBytes(json, shardName);
  const sha = await modelDigest(jsonBytes, [weights]);
  // Shard first: a model.json in the store means the model is whole (what uploads check too).
  await store.putIfAbsent(keys.modelShard(sha, 0), weights);
  await store.putIfAbsent(keys.modelJson(sha), jsonBytes, { contentType: 'application/json' });
  return sha;
}

/** Q_k of the final shadow weights as a tfjs Layers model with uint8 weights (model.json + one shard). */
export function repairedModel(state: RetrainState, original: Model, config: RetrainConfig): { json: object; weights: Uint8Array; bits: number | null } {
  const q = finish(state, original, config);
  try {
    return { ...saveLayersModel(q, { weights: 'uint8' }), bits: q.summary.bits };
  } finally {
    q.dispose();
  }
}

/**
 * Step `finish`: Q_k of the final shadow weights saved as a uint8 tfjs model in the store, then the two closing
 * audits queued (the original, with its k-bit twin; the repaired model) with the job's audit settings.
 */
export async function finishRetrain(jobId: string, deps: JobDeps, request: RetrainRequest, now = () => new Date()): Promise<{ repaired: string; audits: { before: string; after: string } }> {
  const latest = await latestCheckpoint(deps.store, jobId);
  expect(latest !== null && isDone(latest.state), 'engine_failure', `expected a finished training checkpoint for job ${jobId}, got ${latest ? `step ${latest.step}` : 'none'}`);
  const config = resolveRetrainConfig(request.settings);
  const original = toModel(await loadModelBytes(deps.store, request.model));
  let repaired: string;
  let repairedBits: number | null;
  try {
    const saved = repairedModel(latest!.state, original, config);
    repaired = await putModelBytes(deps.store, saved.json, saved.weights);
    repairedBits = saved.bits;
    const audits = await childAuditIds(jobId);
    // The job names its audits (and has its final loss point, which a step retried after its checkpoint write
    // may not have recorded) before they exist, so a restart never takes them for jobs of their own.
    await patchDetail(deps.store, jobId, () => ({ detail: { phase: 'auditing', repairedModel: repaired, audits, loss: lossCurve(latest!.state) } }));
    // The model was trained behind the job's defense: both audits put the same g in front (plain, adaptive, black box).
    const settings = parseSettings({ ...request.audit, bits: [config.bits], defense: config.defense });
    const evalData = await loadDataset(deps.store, request.evalDataset, deps.builtin, 'mnist-test');
    const children: [string, string, number | null][] = [[audits.before, request.model, original.summary.bits], [audits.after, repaired, repairedBits]];
    for (const [id, model, bits] of children) {
      if (await readRecord(deps.store, id)) continue;
      const auditRequest: AuditRequest = { model, dataset: request.evalDataset, settings: settings as unknown as Record<string, unknown> };
      const rec = newJobRecord(id, 'audit', auditRequest as unknown as Record<string, unknown>, now());
      rec.progress.total = planAudit(settings, { modelBits: bits, dataSize: sourceSize(evalData) }).length;
      await writeRecord(deps.store, rec);
    }
    return { repaired, audits };
  } finally {
    original.dispose();
  }
}
