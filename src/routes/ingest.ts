// Models and data sets in and out of the store: validate with the engine, content-address, and load back.
import { sha256Hex } from '../attest/encoding';
import { modelDigest } from '../storage/digest';
import { datasetFromNpz, fitToModel } from '../engine/data/dataset';
import { checkImageFit, describeImageFolder, readImageFolder, type ImageFolderInfo } from '../engine/data/image-folder';
import { dataFormat } from '../engine/data/source';
import { NPZ_MAX_TOTAL_BYTES } from '../engine/data/npz';
import { MNIST_SHAPE } from '../engine/data/mnist';
import type { Dataset } from '../engine/data/types';
import { loadModel } from '../engine/model/files';
import type { ModelSummary } from '../engine/model/types';
import { keys } from '../storage/keys';
import type { Store } from '../storage/store';
import type { ModelFiles } from './body';
import { parseModelJson, preflightModel, shardOrder } from './manifest';
import { ProblemError } from './problem';

export interface IngestDeps {
  store: Store;
  /** Starts the wasm engine once (idempotent). */
  startEngine: () => Promise<void>;
}

const JSON_TYPE = { contentType: 'application/json' };

export { shardOrder } from './manifest';

/**
 * Version of the stored summary (keys.modelSummary): bump it when ModelSummary gains fields, and stored models get
 * a fresh summary computed once, on first use, under the new key.
 */
export const SUMMARY_VERSION = 2;

/** Loads with the engine (the validation), returns its summary and frees its tensors. */
async function summarizeModel(deps: IngestDeps, text: string, shards: ReadonlyMap<string, Uint8Array>): Promise<ModelSummary> {
  await deps.startEngine();
  const model = loadModel(text, shards);
  try {
    return model.summary;
  } finally {
    model.dispose();
  }
}

/** Validates and stores an uploaded model; the same bytes always give the same id (`created: false` the second time). */
export async function ingestModel(deps: IngestDeps, upload: ModelFiles): Promise<{ id: string; created: boolean; summary: ModelSummary }> {
  const { text, order } = preflightModel(upload.json);
  const extra = [...upload.files.keys()].filter((n) => !order.includes(n));
  if (extra.length) throw new ProblemError(422, 'invalid_upload', `expected only model.json and the weight files its manifest names (${order.join(', ') || 'none'}), got also ${extra.join(', ')}`, 'body');
  const summary = await summarizeModel(deps, text, upload.files);
  const shards = order.map((n) => upload.files.get(n)!);
  const id = await modelDigest(upload.json, shards);
  if (await deps.store.head(keys.modelJson(id))) return { id, created: false, summary };
  // model.json last: its presence means the upload is complete (summary and shards are there before it).
  await deps.store.putIfAbsent(keys.modelSummary(id, SUMMARY_VERSION), encodeJson(summary), JSON_TYPE);
  for (let i = 0; i < shards.length; i++) await deps.store.putIfAbsent(keys.modelShard(id, i), shards[i]!);
  const { written } = await deps.store.putIfAbsent(keys.modelJson(id), upload.json, JSON_TYPE);
  return { id, created: written, summary };
}

/** A stored model's files, or null when the id is unknown. */
export async function readStoredModel(store: Store, id: string): Promise<{ text: string; shards: Map<string, Uint8Array> } | null> {
  const json = await store.get(keys.modelJson(id));
  if (!json) return null;
  const { text, value } = parseModelJson(json);
  const shards = new Map<string, Uint8Array>();
  const order = shardOrder(value);
  for (let i = 0; i < order.length; i++) {
    const bytes = await store.get(keys.modelShard(id, i));
    if (!bytes) throw new ProblemError(409, 'incomplete_model', `expected weight file ${i} of model ${id}, got none`);
    shards.set(order[i]!, bytes);
  }
  return { text, shards };
}

const encodeJson = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/**
 * The summary stored at upload: reads never run the engine. A model stored before summaries were kept (or under
 * an older SUMMARY_VERSION) is summarized once and the result stored, so later reads find it.
 */
export async function storedModelSummary(deps: IngestDeps, id: string): Promise<ModelSummary> {
  const stored = await deps.store.get(keys.modelSummary(id, SUMMARY_VERSION));
  if (stored && (await deps.store.head(keys.modelJson(id)))) return JSON.parse(new TextDecoder().decode(stored)) as ModelSummary;
  const files = await readStoredModel(deps.store, id);
  if (!files) throw new ProblemError(404, 'not_found', `expected a stored model ${id}, got none`);
  const summary = await summarizeModel(deps, files.text, files.shards);
  await deps.store.putIfAbsent(keys.modelSummary(id, SUMMARY_VERSION), encodeJson(summary), JSON_TYPE).catch(() => undefined);
  return summary;
}

export interface DatasetInfo {
  format: 'builtin' | 'npz' | 'images';
  samples: number;
  /** [H, W, C] ([D] when flat); for images only when every image has the same size and channels. */
  shape?: number[];
  dtype: 'uint8' | 'float32';
  classes: number;
  /** Image data: the class folders, label = index. */
  classNames?: string[];
  images?: Omit<ImageFolderInfo, 'samples' | 'classNames'>;
}

function describe(ds: Dataset): DatasetInfo {
  const [n, h, w, c] = ds.shape;
  let classes = 0;
  for (let i = 0; i < ds.y.length; i++) classes = Math.max(classes, ds.y[i]! + 1);
  return { format: 'npz', samples: n, shape: ds.flat ? [w * c] : [h, w, c], dtype: ds.x instanceof Uint8Array ? 'uint8' : 'float32', classes };
}

/** Images are decoded to 8 bits per channel (resized to the model's input when an audit starts). */
function describeImages({ samples, classNames, ...images }: ImageFolderInfo): DatasetInfo {
  const one = images.sizes.length === 1 ? images.sizes[0]! : undefined;
  return { format: 'images', samples, ...(one && { shape: [one.height, one.width, one.channels] }), dtype: 'uint8', classes: classNames.length, classNames, images };
}

/** Uncompressed bytes an uploaded .npz may inflate to: a multiple of what was sent, so a small upload cannot make a large allocation. */
export const npzInflateLimit = (sent: number) => Math.min(NPZ_MAX_TOTAL_BYTES, NPZ_INFLATE_RATIO * sent + 1024 * 1024);
export const NPZ_INFLATE_RATIO = 16;

/**
 * An .npz, or a zip of class folders of images (told apart by content). Every image is decoded once here, so a
 * corrupt one is refused by name now; its description is stored beside it so GET does not decode again.
 */
export async function ingestDataset(store: Store, bytes: Uint8Array): Promise<{ id: string; created: boolean; info: DatasetInfo }> {
  if (dataFormat(bytes) === 'images') {
    const info = describeImages(describeImageFolder(readImageFolder(bytes, 'upload')));
    const id = await sha256Hex(bytes);
    // The zip first, its description last: the description's presence means the upload is complete.
    await store.putIfAbsent(keys.imageDataset(id), bytes, { contentType: 'application/zip' });
    const { written } = await store.putIfAbsent(keys.datasetInfo(id), new TextEncoder().encode(JSON.stringify(info)), JSON_TYPE);
    return { id, created: written, info };
  }
  const info = describe(datasetFromNpz(bytes, 'upload', { maxTotalBytes: npzInflateLimit(bytes.length) }));
  const id = await sha256Hex(bytes);
  // The .npz, then its description (as for images): reads find the description and never inflate the .npz again.
  const { written } = await store.putIfAbsent(keys.dataset(id), bytes, { contentType: 'application/octet-stream' });
  await store.putIfAbsent(keys.datasetInfo(id), encodeJson(info), JSON_TYPE);
  return { id, created: written, info };
}

/** The built-in MNIST test split: known shape, served from the package on Node and the seeded bucket on Workers. */
export const MNIST_INFO: DatasetInfo = { format: 'builtin', samples: 2004, shape: [...MNIST_SHAPE], dtype: 'uint8', classes: 10 };
/** Samples of the built-in training split (retraining's default data). */
export const MNIST_TRAIN_SAMPLES = 7996;

/** An uploaded data set, parsed; null when unknown. */
async function loadDataset(store: Store, sha256: string): Promise<Dataset | null> {
  const bytes = await store.get(keys.dataset(sha256));
  return bytes && datasetFromNpz(bytes, `dataset-${sha256.slice(0, 12)}`);
}

/** An uploaded data set's stored description; null when none was stored. */
async function imagesInfo(store: Store, sha256: string): Promise<DatasetInfo | null> {
  const bytes = await store.get(keys.datasetInfo(sha256));
  return bytes && (JSON.parse(new TextDecoder().decode(bytes)) as DatasetInfo);
}

export async function datasetInfo(store: Store, ref: string): Promise<DatasetInfo | null> {
  if (ref === 'mnist') return MNIST_INFO;
  // Every upload stores its description (npz and images alike), so GET reads it instead of inflating again.
  const images = await imagesInfo(store, ref);
  if (images) return images;
  // Uploaded before descriptions were kept: described once, and the description stored.
  const ds = await loadDataset(store, ref);
  if (!ds) return null;
  const info = describe(ds);
  await store.putIfAbsent(keys.datasetInfo(ref), encodeJson(info), JSON_TYPE).catch(() => undefined);
  return info;
}

/**
 * 422 unless the data set fits the model's input and classes (the engine's own check and message). With labels
 * from the model (`labels: "model"`) the data set's own labels or class folders are not used, so only the input is checked.
 */
export async function checkFit(store: Store, ref: string, summary: ModelSummary, labels: 'dataset' | 'model' = 'dataset'): Promise<number> {
  const classes = labels === 'model' ? Infinity : summary.numClasses;
  // Built-in MNIST: its shape and label range are known; a one-sample stand-in runs the same check.
  const stored = ref === 'mnist' ? null : await imagesInfo(store, ref);
  // .npz uploads store their description too: only an image set's is checked by class names.
  const images = stored?.format === 'images' ? stored : null;
  if (images) {
    checkImageFit(images.classNames ?? [], summary.inputShape, classes);
    return images.samples;
  }
  const ds: Dataset | null = ref === 'mnist'
    ? { name: 'mnist', x: new Uint8Array(28 * 28), y: Int32Array.of(9), shape: [1, ...MNIST_SHAPE] }
    : await loadDataset(store, ref);
  if (!ds) throw new ProblemError(404, 'not_found', `expected an uploaded data set ${ref}, got none`, 'body.data');
  fitToModel(labels === 'model' ? { ...ds, y: new Int32Array(ds.shape[0]) } : ds, summary.inputShape, summary.numClasses);
  return ref === 'mnist' ? MNIST_INFO.samples : ds.shape[0];
}
