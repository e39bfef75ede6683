// The one place that builds storage keys; every part comes from a validated id, never a raw user string.
import { StorageError } from './store';

/*
 * Layout (see docs/storage.md):
 *   models/<sha256>/model.json                 tfjs model topology + weights manifest
 *   models/<sha256>/weights/<index>.bin        weight shards, in manifest order (index 0..9999)
 *   models/<sha256>/summary-v<n>.json          the engine's summary, computed once at upload (n: summary version)
 *   datasets/<sha256>.npz                      uploaded .npz data sets, content-addressed
 *   datasets/<sha256>.zip                      uploaded zips of class folders of images, content-addressed
 *   datasets/<sha256>.json                     an uploaded data set's description (written at upload)
 *   builtin/datasets/<name>.npz                data sets shipped with qaudit (name: lowercase slug)
 *   jobs/<jobId>/state.json                    job state, rewritten as the job advances
 *   jobs/<jobId>/chunks/<chunkId>.json         one step's result, write-once
 *   jobs/<jobId>/checkpoints/<step>.bin        a retraining job's state after <step> steps (6 digits), write-once
 *   reports/<reportId>/report.json             the final report, write-once
 *   reports/<reportId>/attestation.json        DSSE envelope over the report, write-once
 *   hooks/deliveries/<sha256>                  one per accepted webhook delivery (replay protection), write-once
 *   queue/<tenant|client>/<sha256>/<jobId>     one per unfinished job of a tenant or client address (sha256 of its
 *                                              name), written at start, removed when the job ends (Workers' queue caps)
 */

const SHA256 = /^[0-9a-f]{64}$/;
/** Job and report ids: 32 lowercase hex chars (128 random bits), see newId(). */
const ID = /^[0-9a-f]{32}$/;
/** Chunk ids are deterministic step names, e.g. "attack-fgsm-eps2-b0003". */
const CHUNK_ID = /^[a-z0-9][a-z0-9_-]{0,127}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_SHARDS = 10000;

function check(value: unknown, re: RegExp, what: string): string {
  if (typeof value !== 'string' || !re.test(value)) {
    throw new StorageError('invalid_key', `expected ${what}, got ${JSON.stringify(String(value).slice(0, 80))}`);
  }
  return value;
}

export const isSha256 = (s: unknown): s is string => typeof s === 'string' && SHA256.test(s);
export const isId = (s: unknown): s is string => typeof s === 'string' && ID.test(s);
export const isChunkId = (s: unknown): s is string => typeof s === 'string' && CHUNK_ID.test(s);

/** A fresh job or report id from the platform CSPRNG (Node and Workers). */
export function newId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const sha = (s: string) => check(s, SHA256, 'a sha256 as 64 lowercase hex chars');
const id = (s: string) => check(s, ID, 'an id of 32 lowercase hex chars');

export type QueueKind = 'tenant' | 'client';
const queuePrefix = (kind: QueueKind, sha256: string) => `queue/${check(kind, /^(tenant|client)$/, "'tenant' or 'client'")}/${sha(sha256)}/`;

export const keys = {
  modelPrefix: (sha256: string) => `models/${sha(sha256)}/`,
  modelJson: (sha256: string) => `models/${sha(sha256)}/model.json`,
  modelShard: (sha256: string, index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_SHARDS) {
      throw new StorageError('invalid_key', `expected a shard index in 0..${MAX_SHARDS - 1}, got ${index}`);
    }
    return `models/${sha(sha256)}/weights/${index}.bin`;
  },
  modelSummary: (sha256: string, version: number) => {
    if (!Number.isInteger(version) || version < 1 || version > 9999) throw new StorageError('invalid_key', `expected a summary version in 1..9999, got ${version}`);
    return `models/${sha(sha256)}/summary-v${version}.json`;
  },
  dataset: (sha256: string) => `datasets/${sha(sha256)}.npz`,
  imageDataset: (sha256: string) => `datasets/${sha(sha256)}.zip`,
  datasetInfo: (sha256: string) => `datasets/${sha(sha256)}.json`,
  hookDelivery: (sha256: string) => `hooks/deliveries/${sha(sha256)}`,
  /** The slots of one tenant (`key:...`, `addr:...`, `hook:...`) or client address, by the sha256 of its name. */
  queuePrefix: (kind: QueueKind, sha256: string) => queuePrefix(kind, sha256),
  queueSlot: (kind: QueueKind, sha256: string, jobId: string) => `${queuePrefix(kind, sha256)}${id(jobId)}`,
  builtinDataset: (name: string) => `builtin/datasets/${check(name, SLUG, 'a builtin data set name (lowercase slug)')}.npz`,
  jobPrefix: (jobId: string) => `jobs/${id(jobId)}/`,
  jobState: (jobId: string) => `jobs/${id(jobId)}/state.json`,
  jobChunksPrefix: (jobId: string) => `jobs/${id(jobId)}/chunks/`,
  jobChunk: (jobId: string, chunkId: string) =>
    `jobs/${id(jobId)}/chunks/${check(chunkId, CHUNK_ID, 'a chunk id of [a-z0-9_-], 1-128 chars')}.json`,
  jobCheckpointsPrefix: (jobId: string) => `jobs/${id(jobId)}/checkpoints/`,
  jobCheckpoint: (jobId: string, step: number) => {
    if (!Number.isInteger(step) || step < 0 || step > 999_999) {
      throw new StorageError('invalid_key', `expected a checkpoint step in 0..999999, got ${step}`);
    }
    return `jobs/${id(jobId)}/checkpoints/${String(step).padStart(6, '0')}.bin`;
  },
  report: (reportId: string) => `reports/${id(reportId)}/report.json`,
  attestation: (reportId: string) => `reports/${id(reportId)}/attestation.json`,
} as const;
