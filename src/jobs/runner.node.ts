// Node driver: runs queued jobs (audits and retraining) one after another, fairly across tenants, on a pool of
// worker threads (all cores on one job), resumes jobs left queued or running by a previous process, and runs one audit in-process for the CLI.
import { modelDigest } from '../storage/digest';
import { availableParallelism } from 'node:os';
import type { AuditSettingsInput, Report } from '../engine/audit';
import { isImageFolder, type DataSource } from '../engine/data/source';
import { datasetToNpz } from '../engine/data/dataset';
import { startNodeEngine } from '../runtime/node';
import { exportPublicJwk, generateSigningKey, sha256Hex } from '../attest';
import type { DsseEnvelope, PublicJwk, SigningKey } from '../attest';
import { keys, newId } from '../storage/keys';
import { MemoryStore } from '../storage/memory';
import { listAll } from '../storage/store';
import type { Store } from '../storage/store';
import { failJob, requestCancel } from './lifecycle';
import type { JobDeps } from './lifecycle';
import { InlineExecutor } from './executor';
import type { JobExecutor } from './executor';
import type { BuiltinLoader, ModelBytes } from './inputs';
import { errorFromJSON, fromJsonBytes, isFinished, newJobRecord, readRecord, toJsonBytes, writeRecord } from './record';
import { runAuditJob } from './runner';
import { runRetrainJob } from './retrain-runner';
import type { JobEvent, RunOptions } from './runner';
import { ThreadPool } from './pool.node';
import type { AuditRequest, JobDriver, JobKind, JobOwner, JobRecord } from './types';

export interface NodeDriverOptions extends JobDeps {
  /** Worker threads; default os.availableParallelism(). 0 runs chunks on the main thread. */
  threads?: number;
  /** The bundled worker entry; default: found next to the bundle or in dist/. */
  workerPath?: string;
  /** Scan the store for queued/running jobs on construction (default true). */
  resume?: boolean;
  onEvent?: RunOptions['onEvent'];
  retry?: RunOptions['retry'];
  log?: RunOptions['log'];
  /** Wall-clock limit of one job (seconds from its first start): past it, the job fails with code time_limit. */
  maxJobSeconds?: number;
  /** Milliseconds since the epoch (default Date.now); the deadline checks read it. */
  now?: () => number;
}

function makeExecutor(threads: number | undefined, workerPath?: string): JobExecutor & { terminate?(): Promise<void> } {
  const n = threads ?? availableParallelism();
  return n === 0 ? new InlineExecutor() : new ThreadPool(n, workerPath);
}

interface Queued { id: string; kind: JobKind; owner: JobOwner }

const ANONYMOUS: JobOwner = { tenant: 'addr:unknown', client: 'addr:unknown' };

/**
 * One job at a time (it has every worker thread), chosen round-robin across tenants (API keys, client addresses,
 * webhook providers) and FIFO within one: a tenant that queues a hundred jobs delays another tenant's next job by
 * at most one of them.
 */
export class NodeJobDriver implements JobDriver {
  private executor?: JobExecutor & { terminate?(): Promise<void> };
  private readonly queues = new Map<string, Queued[]>();
  /** Tenants in the order they are served next. */
  private readonly turn: string[] = [];
  private readonly scheduled = new Map<string, JobOwner>();
  private readonly canceled = new Set<string>();
  private pump: Promise<void> = Promise.resolve();
  private pumping = false;
  private stopping = false;
  /** Resolves once the start-up scan has scheduled what it found. */
  readonly resumed: Promise<string[]>;

  constructor(private readonly opts: NodeDriverOptions) {
    this.resumed = opts.resume === false ? Promise.resolve([]) : this.resumeAll();
    this.resumed.catch((e) => opts.log?.('resuming jobs failed', e));
  }

  /**
   * Schedules every job whose record is queued or running: how a restart continues after a crash, SIGKILL or
   * SIGTERM. The closing audits of a retraining job are left to it (they run inside it), in creation order otherwise.
   */
  async resumeAll(): Promise<string[]> {
    const found: JobRecord[] = [];
    for (const k of (await listAll(this.opts.store, 'jobs/')).filter((k) => k.endsWith('/state.json'))) {
      // One unreadable record (cut by a kill on a store that writes in place, or deleted since the listing)
      // must not keep every other job from resuming.
      const r = await readRecord(this.opts.store, k.split('/')[1]!).catch((e) => (this.opts.log?.(`record ${k} unreadable`, e), null));
      if (r && (r.status === 'queued' || r.status === 'running')) found.push(r);
    }
    const children = new Set(found.flatMap((r) => (r.retrain?.audits ? [r.retrain.audits.before, r.retrain.audits.after] : [])));
    const order = found.filter((r) => !children.has(r.id)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const r of order) await this.start(r.id, r.kind, r.owner);
    return order.map((r) => r.id);
  }

  async start(id: string, kind: JobKind, owner: JobOwner = ANONYMOUS): Promise<void> {
    if (this.scheduled.has(id) || this.stopping) return;
    this.scheduled.set(id, owner);
    const q = this.queues.get(owner.tenant);
    if (q) q.push({ id, kind, owner });
    else {
      this.queues.set(owner.tenant, [{ id, kind, owner }]);
      this.turn.push(owner.tenant);
    }
    if (!this.pumping) {
      this.pumping = true;
      this.pump = this.drain().finally(() => { this.pumping = false; });
    }
  }

  /** Unfinished jobs held for the tenant and for the client address (queued here or running). */
  async pending(owner: JobOwner): Promise<{ tenant: number; client: number }> {
    let tenant = 0, client = 0;
    for (const o of this.scheduled.values()) {
      if (o.tenant === owner.tenant) tenant++;
      if (o.client === owner.client) client++;
    }
    return { tenant, client };
  }

  /** The next job: the head of the next tenant's queue in turn. */
  private next(): Queued | undefined {
    const tenant = this.turn.shift();
    if (tenant === undefined) return undefined;
    const q = this.queues.get(tenant)!;
    const job = q.shift()!;
    if (q.length) this.turn.push(tenant);
    else this.queues.delete(tenant);
    return job;
  }

  private async drain(): Promise<void> {
    for (let job = this.next(); job && !this.stopping; job = this.next()) {
      await this.run(job.id, job.kind).catch((e) => this.opts.log?.(`job ${job!.id} could not run`, e));
    }
  }

  async cancel(id: string): Promise<void> {
    this.canceled.add(id);
    await requestCancel(this.opts.store, id);
    // A job that is not scheduled here (or not yet started) is canceled by its run seeing the marker.
    if (!this.scheduled.has(id)) await this.start(id, (await readRecord(this.opts.store, id))?.kind ?? 'audit');
  }

  /** Resolves when every scheduled job has finished. */
  async idle(): Promise<void> {
    await this.resumed.catch(() => {});
    for (let p = this.pump; ; p = this.pump) {
      await p;
      if (p === this.pump && !this.pumping) return;
    }
  }

  /** Waits for running jobs, then stops the worker threads. */
  async close(): Promise<void> {
    await this.idle();
    await this.executor?.terminate?.();
    this.executor = undefined;
  }

  /**
   * Shutdown (SIGTERM): starts nothing more, stops the worker threads at once and leaves the running job's record
   * as it is (running): the next start resumes it from its stored steps. Waits for the job's frame to unwind.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.executor?.terminate?.();
    this.executor = undefined;
    await this.pump.catch(() => undefined);
  }

  private async run(id: string, kind: JobKind): Promise<void> {
    try {
      const record = await readRecord(this.opts.store, id);
      if (!record || isFinished(record)) return;
      if (kind !== record.kind) {
        await failJob(this.opts.store, id, { code: 'invalid_argument', message: `expected a job of kind '${kind}', got '${record.kind}'` });
        return;
      }
      await startNodeEngine();
      this.executor ??= makeExecutor(this.opts.threads, this.opts.workerPath);
      const { onEvent, retry, log } = this.opts;
      const run = kind === 'retrain' ? runRetrainJob : runAuditJob;
      const deadline = this.deadline(record);
      await run(id, this.opts, this.executor, {
        onEvent, retry, log,
        canceled: () => this.canceled.has(id),
        stopping: () => this.stopping,
        deadline,
      });
    } finally {
      this.scheduled.delete(id);
    }
  }

  /** The job's wall-clock deadline (ms), counted from its first start, so that restarts do not extend it. */
  private deadline(record: JobRecord): RunOptions['deadline'] {
    const seconds = this.opts.maxJobSeconds;
    if (!seconds) return undefined;
    const now = (this.opts.now ?? Date.now)();
    const started = record.startedAt ? Date.parse(record.startedAt) : now;
    return { at: started + seconds * 1000, seconds, now: this.opts.now };
  }
}

/** SHA-256 of a model as bytes: model.json (as JSON text) followed by its shards in manifest order. */
/** Writes a model into the store layout (models/<sha>/model.json, weights/<i>.bin) and returns its sha256. */
export async function putModel(store: Store, model: ModelBytes, sha256?: string): Promise<string> {
  const sha = sha256 ?? (await modelDigest(toJsonBytes(model.modelJson), model.shards.map(([, b]) => b)));
  await store.putIfAbsent(keys.modelJson(sha), toJsonBytes(model.modelJson));
  for (const [i, [, bytes]] of model.shards.entries()) await store.putIfAbsent(keys.modelShard(sha, i), bytes);
  return sha;
}

export interface LocalAuditOptions {
  /** model.json (parsed or text) and its shards keyed by the manifest's paths (or file names), in manifest order. */
  modelJson: unknown;
  shards: ReadonlyMap<string, Uint8Array> | [string, Uint8Array][];
  /** A data set, a folder of class folders of images, or 'mnist' for the built-in test split (needs `builtin`). */
  data: DataSource | 'mnist';
  builtin?: BuiltinLoader;
  settings?: AuditSettingsInput;
  surrogate?: ModelBytes;
  store?: Store;
  signingKey?: SigningKey;
  /** Bytes one chunk may use (default: a Workers isolate's 128 MB). */
  memoryBudget?: number;
  /** The attestation subject; default: the digest of the re-serialized model.json (pass the raw bytes' digest when you have them). */
  modelSha256?: string;
  threads?: number;
  workerPath?: string;
  onProgress?: (e: JobEvent) => void | Promise<void>;
}

export interface LocalAuditResult {
  report: Report;
  /** The exact bytes of report.json. */
  reportBytes: Uint8Array;
  attestation: DsseEnvelope;
  /** Public half of the signing key (fresh and ephemeral unless one was passed). */
  publicKey: PublicJwk;
  jobId: string;
}

/** Runs one audit to completion in this process through the same steps as the server (CLI: `qaudit audit`). */
export async function runAuditLocally(o: LocalAuditOptions): Promise<LocalAuditResult> {
  const store = o.store ?? new MemoryStore();
  const signingKey = o.signingKey ?? (await generateSigningKey());
  const modelJson = typeof o.modelJson === 'string' ? JSON.parse(o.modelJson) : o.modelJson;
  const model: ModelBytes = { modelJson, shards: [...o.shards] };
  const sha = await putModel(store, model, o.modelSha256);
  const request: AuditRequest = { model: sha, dataset: 'mnist', settings: (o.settings ?? {}) as Record<string, unknown> };
  if (o.data !== 'mnist') {
    // Stored as the API stores uploads: images as their zip (decoded when the audit fits them to the model).
    const bytes = isImageFolder(o.data) ? o.data.zip : datasetToNpz(o.data);
    const dsSha = await sha256Hex(bytes);
    await store.putIfAbsent(isImageFolder(o.data) ? keys.imageDataset(dsSha) : keys.dataset(dsSha), bytes);
    request.dataset = { sha256: dsSha, name: o.data.name };
  }
  if (o.surrogate) request.surrogate = await putModel(store, o.surrogate);
  const jobId = newId();
  await writeRecord(store, newJobRecord(jobId, 'audit', request as unknown as Record<string, unknown>));
  await startNodeEngine();
  const executor = makeExecutor(o.threads, o.workerPath);
  try {
    const record = await runAuditJob(jobId, { store, signingKey, builtin: o.builtin, memoryBudget: o.memoryBudget }, executor, { onEvent: o.onProgress });
    if (record.status !== 'succeeded') throw errorFromJSON(record.error ?? { code: record.status, message: `audit ${record.status}` });
    const reportBytes = (await store.get(keys.report(record.reportId!)))!;
    const attestation = fromJsonBytes<DsseEnvelope>((await store.get(keys.attestation(record.reportId!)))!);
    return { report: fromJsonBytes<Report>(reportBytes), reportBytes, attestation, publicKey: await exportPublicJwk(signingKey), jobId };
  } finally {
    await executor.terminate?.();
  }
}
