// The contract between the HTTP layer and the job drivers: a job's record (stored as JSON) and the driver
// that runs it (a Cloudflare Workflow on Workers, an in-process runner with worker threads on Node).
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
}

/** Runs jobs whose record was written with status `queued`. */
export interface JobDriver {
  /** Starts (or resumes) the job; returns once it is scheduled, not when it finishes. */
  start(id: string, kind: JobKind): Promise<void>;
  /** Asks a running job to stop; the record becomes `canceled` when it has. */
  cancel(id: string): Promise<void>;
}
