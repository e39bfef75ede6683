// The contract between the HTTP layer and the job drivers: a job's record (stored as JSON) and the driver
// that runs it (a Cloudflare Workflow on Workers, an in-process runner with worker threads on Node).
import type { StepMetrics } from '../engine/train/state';
import type { DefenseMapping } from '../engine/defense/settings';
export type JobKind = 'audit' | 'retrain';
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

export interface JobProgress {
  /** Steps (chunks) finished. */
  done: number;
  total: number;
  /** Human-readable label of the step being run, e.g. "pgd w4 eps=0.3 samples 32-63". */
  current?: string;
  /** Estimated seconds left, from the mean duration of finished steps; absent until one finished. */
  etaSeconds?: number;
  /** The last chunk computed by this run: wall time (compute and the write of its result) and the engine's memory
   *  after it (the wasm heap of the thread or isolate that ran it, its high-water mark). Absent until one ran. */
  lastChunk?: { id: string; seconds: number; memoryBytes: number };
  /** The largest engine memory any chunk of this run reached, next to the plan's estimate (engine/audit/memory.ts). */
  memory?: { peakBytes: number; plannedBytes: number; budgetBytes: number };
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  status: JobStatus;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  progress: JobProgress;
  /** The validated request: model digest, dataset, settings (kind-specific, JSON). */
  request: Record<string, unknown>;
  /** Set when status is failed: a stable code and a message without internals. */
  error?: { code: string; message: string };
  /** Set when status is succeeded: where report.json and attestation.json are (keys.report / keys.attestation).
   *  Audit jobs use the job id, so that a resumed report step writes the same keys. */
  reportId?: string;
  /** Retraining jobs only: phase, loss curve, the repaired model and the closing audits. */
  retrain?: RetrainDetail;
  /** Who asked: the tenant the driver schedules fairly across, and the client address bucket (queue caps). */
  owner?: JobOwner;
}

/** A job's tenant (`key:<id>`, `addr:<bucket>` or `hook:<provider>`) and the address bucket it came from. */
export interface JobOwner {
  tenant: string;
  client: string;
}

/** The `request` of an audit job (validated by AuditRequestSchema in src/jobs/request.ts). */
export interface AuditRequest {
  /** SHA-256 of the stored model: models/<sha256>/model.json and weights/<i>.bin. */
  model: string;
  /** 'mnist': the built-in MNIST test split; {sha256}: an uploaded .npz at datasets/<sha256>.npz. */
  dataset: 'mnist' | { sha256: string; name?: string };
  /** Audit settings (AuditSettingsInput); canonicalized by the engine's parseSettings. */
  settings?: Record<string, unknown>;
  /** SHA-256 of a stored float or surrogate model, the transfer attack's source. */
  surrogate?: string;
  /** Thresholds like "pgd@0.1=0.5" for the server's JUnit and SARIF renderings (checked against the settings at POST). */
  failUnder?: string;
}

/** Runs jobs whose record was written with status `queued`. */
export interface JobDriver {
  /** Starts (or resumes) the job; returns once it is scheduled, not when it finishes. */
  start(id: string, kind: JobKind, owner?: JobOwner): Promise<void>;
  /** Unfinished jobs held for a tenant and for a client (absent: the driver cannot tell, no cap). Async: the
   *  Workflow driver counts its queue slots in the store (src/jobs/slots.ts), the Node driver its own queue. */
  pending?(owner: JobOwner): Promise<{ tenant: number; client: number }>;
  /** Asks a running job to stop; the record becomes `canceled` when it has. */
  cancel(id: string): Promise<void>;
}

/** The `request` of a retraining job (validated by RetrainRequestSchema in src/jobs/request.ts). */
export interface RetrainRequest {
  /** SHA-256 of the stored float model to retrain (its shadow weights start from it). */
  model: string;
  /** Training data: 'mnist' (the built-in training split) or an uploaded .npz. */
  dataset: 'mnist' | { sha256: string; name?: string };
  /** Retraining settings (RetrainConfigInput: method, bits, epochs, seed, ...), stored resolved. */
  settings: Record<string, unknown>;
  /** Settings of the closing before/after audit (AuditSettingsInput), stored canonical. */
  audit: Record<string, unknown>;
  /** Evaluation data of that audit: 'mnist' (the built-in test split) or an uploaded .npz. */
  evalDataset: 'mnist' | { sha256: string; name?: string };
}

/** Where a retraining job is; `progress` counts training steps, then audit chunks. */
export type RetrainPhase = 'queued' | 'training' | 'auditing' | 'reporting' | 'done';

/** One training step's means: one point of the loss curve. */
export type LossPoint = StepMetrics;

/** What a retraining job's record carries besides the common fields. */
export interface RetrainDetail {
  phase: RetrainPhase;
  /** The loss curve so far, one point per finished training step. */
  loss: LossPoint[];
  /** SHA-256 of the repaired model, stored like an upload (models/<sha>/), once training finished. */
  repairedModel?: string;
  /** The closing audits: the original model (float and its plain k-bit twin) and the repaired model. */
  audits?: { before: string; after: string };
}

/**
 * reports/<jobId>/report.json of a retraining job (signed like an audit report, both models as subjects): the
 * settings, the loss curve and the two audits it links, with the headline accuracies copied for quick reading.
 */
export interface RetrainReport {
  schema: 'qaudit.retrain-report/v1';
  job: string;
  createdAt: string;
  /** The resolved retraining settings (method, bits, epochs, seed, optimizer, boundary, ...). */
  settings: Record<string, unknown>;
  data: { train: string; eval: string };
  models: { original: string; repaired: string };
  loss: LossPoint[];
  /** Audit ids with their links (/v1/audits/{id}, report, report.html). */
  audits: {
    before: { id: string; links: Record<string, string> };
    after: { id: string; links: Record<string, string> };
  };
  /** Clean accuracy: the float original, its plain k-bit quantization (before), the repaired k-bit model (after). */
  clean: { float: number; quantized: number; repaired: number };
  /** Robust accuracy per attack and epsilon, same three models (white-box rows without defense). */
  robust: { attack: string; epsilon: number; float: number; quantized: number; repaired: number }[];
  /**
   * Only for a job trained behind a nonlinear mapping (settings.defense): the mapping trained in, and the same three
   * models behind it, as both closing audits measured them: every row (plain and adaptive), the worst case per epsilon
   * and the audits' defense_masks_gradients flags.
   */
  defense?: {
    setting: DefenseMapping;
    clean: { float: number; quantized: number; repaired: number };
    robust: { attack: string; epsilon: number; adaptive: boolean; float: number; quantized: number; repaired: number }[];
    worstCase: { epsilon: number; float: number; quantized: number; repaired: number }[];
    masking: { audit: 'before' | 'after'; variant: string; attack: string; epsilon: number; message: string }[];
  };
}
