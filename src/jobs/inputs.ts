// An audit's inputs read from the store (model bytes, surrogate, data set), and the engine context built on them.
// Inputs are plain bytes and typed arrays, so a Node runner can post them to worker threads unchanged.
import { auditParts, createAuditContext, labelByModel, toPreprocess } from '../engine/audit';
import type { AuditContext, AuditSettings } from '../engine/audit';
import { datasetFromNpz, fitToModel, take } from '../engine/data/dataset';
import { readImageFolder } from '../engine/data/image-folder';
import { fitSource, isImageFolder, sourceSize, type DataSource } from '../engine/data/source';
import type { Dataset } from '../engine/data/types';
import { expect } from '../engine/errors';
import { loadModel } from '../engine/model/files';
import type { Model } from '../engine/model/types';
import { keys } from '../storage/keys';
import { StorageError } from '../storage/store';
import type { Store } from '../storage/store';
import { fromJsonBytes } from './record';
import type { AuditRequest } from './types';

/** A tfjs Layers model as bytes: model.json (parsed) and its shards keyed by the manifest's paths. */
export interface ModelBytes {
  modelJson: unknown;
  shards: [string, Uint8Array][];
}

export interface AuditInputs {
  model: ModelBytes;
  surrogate?: ModelBytes;
  /** Fitted to the model and cut to the first `settings.limit` samples (compact copies). */
  data: Dataset;
  /** Samples in the whole data set (the report's data.total). */
  dataTotal: number;
}

/** Where the built-in splits come from: Node passes the package's copy; Workers read the seeded bucket keys. */
export type BuiltinName = 'mnist-test' | 'mnist-train';
export type BuiltinLoader = (name: BuiltinName) => Dataset | Promise<Dataset>;

/** The bucket keys the seed command writes and the Workers driver reads. */
export const BUILTIN_MNIST_KEY = keys.builtinDataset('mnist-test');
export const BUILTIN_MNIST_TRAIN_KEY = keys.builtinDataset('mnist-train');

async function must(store: Store, key: string, what: string): Promise<Uint8Array> {
  const b = await store.get(key);
  if (!b) throw new StorageError('not_found', `expected ${what} at ${key}, got no object`, key);
  return b;
}

export async function loadModelBytes(store: Store, sha256: string): Promise<ModelBytes> {
  const modelJson = fromJsonBytes<{ weightsManifest?: { paths?: unknown }[] }>(await must(store, keys.modelJson(sha256), 'a model.json'));
  const paths = (modelJson.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? g.paths.map(String) : []));
  // Shards are stored by their position in the manifest (keys.modelShard), not by the manifest's file names.
  const shards = await Promise.all(paths.map(async (p, i): Promise<[string, Uint8Array]> => [p, await must(store, keys.modelShard(sha256, i), 'a weight shard')]));
  return { modelJson, shards };
}

/** The model as audits and training see it: with the settings' preprocessing (none by default). */
export const toModel = (m: ModelBytes, settings?: Pick<AuditSettings, 'preprocess'>): Model =>
  loadModel(m.modelJson, new Map(m.shards), { preprocess: toPreprocess(settings?.preprocess ?? null) });

/**
 * A job's data: 'mnist' is the built-in split `split` (the test split for audits, the training split for
 * retraining); an upload is an .npz (decoded now) or a zip of image folders (decoded when fitted to the model).
 */
export async function loadDataset(store: Store, spec: AuditRequest['dataset'], builtin?: BuiltinLoader, split: BuiltinName = 'mnist-test'): Promise<DataSource> {
  if (spec === 'mnist') {
    if (builtin) return builtin(split);
    const key = split === 'mnist-train' ? BUILTIN_MNIST_TRAIN_KEY : BUILTIN_MNIST_KEY;
    return datasetFromNpz(await must(store, key, `the built-in MNIST split ${split} (run \`npm run seed\`)`), split);
  }
  const { sha256, name } = spec;
  const label = name ?? `dataset-${sha256.slice(0, 12)}`;
  const npz = await store.get(keys.dataset(sha256));
  if (npz) return datasetFromNpz(npz, label);
  return readImageFolder(await must(store, keys.imageDataset(sha256), 'a data set (.npz or images)'), label);
}

/** Own copies of the first `limit` samples: a view would drag its whole buffer into a postMessage. */
function compact(ds: Dataset, limit: number): Dataset {
  const t = take(ds, limit);
  return { name: t.name, x: t.x.slice(), y: t.y.slice(), shape: t.shape };
}

/** Reads and validates everything the audit needs; `model` is loaded once here for its shape and summary. */
export async function loadInputs(store: Store, request: AuditRequest, settings: AuditSettings, builtin?: BuiltinLoader): Promise<{ inputs: AuditInputs; model: Model }> {
  const modelBytes = await loadModelBytes(store, request.model);
  const surrogate = request.surrogate ? await loadModelBytes(store, request.surrogate) : undefined;
  const raw = await loadDataset(store, request.dataset, builtin);
  const model = toModel(modelBytes, settings);
  try {
    // Labels from the model are written over whatever the data set holds (image folders of other classes too).
    const byModel = settings.labels === 'model';
    const fitted = isImageFolder(raw)
      ? fitSource(raw, model.inputShape, byModel ? Infinity : model.numClasses, settings.limit)
      : fitToModel(byModel ? { ...raw, y: new Int32Array(raw.shape[0]) } : raw, model.inputShape, model.numClasses);
    const data = compact(fitted, settings.limit);
    if (byModel) data.y = labelByModel(model, data, settings.microBatch ?? 1);
    return { inputs: { model: modelBytes, surrogate, data, dataTotal: sourceSize(raw) }, model };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The engine context of one audit (one per engine instance and job); dispose frees models and twins. */
export interface OpenContext {
  ctx: AuditContext;
  dispose(): void;
}

export function openContext(inputs: AuditInputs, settings: AuditSettings): OpenContext {
  const model = toModel(inputs.model, settings);
  const surrogate = inputs.surrogate ? toModel(inputs.surrogate, settings) : undefined;
  try {
    expect(!surrogate || surrogate.inputShape.join() === model.inputShape.join(), 'invalid_model',
      `expected a surrogate with input ${model.inputShape.join('x')}, got ${surrogate?.inputShape.join('x')}`);
    const ctx = createAuditContext(auditParts(model, inputs.data, surrogate), settings);
    return { ctx, dispose: () => { ctx.dispose(); model.dispose(); surrogate?.dispose(); } };
  } catch (e) {
    model.dispose();
    surrogate?.dispose();
    throw e;
  }
}
