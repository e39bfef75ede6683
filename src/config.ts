// The service's settings: environment variables (Node) or bindings (Workers) parsed with zod into one typed config.
import { z } from 'zod';

const MiB = 1024 * 1024;

/** Comma-separated list, blanks dropped. */
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  /** Bearer keys that may write; none = writes from loopback only. At least 16 chars each. */
  API_KEYS: list.pipe(z.array(z.string().min(16, 'expected API keys of at least 16 characters'))).default([]),
  /** Request bodies of model and data set uploads (413 above). */
  MAX_UPLOAD_BYTES: int(1024, 1024 * MiB).default(64 * MiB),
  /** JSON request bodies (audit requests, webhooks). */
  MAX_JSON_BYTES: int(1024, 16 * MiB).default(256 * 1024),
  /** Files in an uploaded model zip. */
  MAX_ZIP_ENTRIES: int(2, 10000).default(64),
  /** Samples one audit may evaluate (its `limit`). */
  MAX_SAMPLES: int(1, 10000).default(10000),
  /** Work units one audit may ask for (see docs/api.md#limits): samples x epsilons x variants x defenses x attack iterations. */
  MAX_WORK: int(1, 1e12).default(2e8),
  /** Memory one audit chunk may use, in MiB: micro-batches are sized from the model to fit. Default: the runtime's
   *  (128, a Workers isolate, on Workers; 1024 on Node). */
  CHUNK_MEMORY_MB: int(16, 65536).optional(),
  /** Workers: Workflow instances one audit's chunks are spread over (jobs/workflow-fanout.ts; unset: DEFAULT_FANOUT). */
  WORKFLOW_FANOUT: int(1, 32).optional(),
  /** Multiply-adds one job may cost: per-sample multiply-adds x samples x forward passes per sample (docs/api.md#limits). */
  MAX_MACS: int(1, 1e18).default(5e13),
  /** Activation memory of one micro-batch (forward and backward), in bytes. */
  MAX_ACTIVATION_BYTES: int(1024 * 1024, 64 * 1024 * MiB).default(512 * MiB),
  /** Wall-clock seconds a job may run (summed over restarts, from its first start) before it fails with time_limit. */
  MAX_JOB_SECONDS: int(1, 7 * 24 * 3600).default(4 * 3600),
  /** Unfinished (queued or running) jobs per API key, and per client address (IPv6: per /64); 429 beyond. */
  MAX_QUEUED_PER_KEY: int(1, 1e6).default(20),
  MAX_QUEUED_PER_ADDRESS: int(1, 1e6).default(20),
  /** Mini-batches one retraining job may run (epochs x batches per epoch, or its maxBatches). */
  MAX_TRAIN_BATCHES: int(1, 1e7).default(20_000),
  /** Token buckets per API key or client address: sustained requests per minute, and burst size. */
  RATE_LIMIT_WRITES_PER_MINUTE: int(1, 1e6).default(30),
  RATE_LIMIT_WRITE_BURST: int(1, 1e6).default(10),
  RATE_LIMIT_READS_PER_MINUTE: int(1, 1e6).default(600),
  RATE_LIMIT_READ_BURST: int(1, 1e6).default(120),
  /** Failed authentications per client address (IPv6: per /64) before 429s. */
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: int(1, 1e6).default(10),
  RATE_LIMIT_AUTH_FAILURE_BURST: int(1, 1e6).default(10),
  HF_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Path of model.json or the .onnx file inside a Hugging Face model repository; unset: model.json, else model.onnx. */
  HF_MODEL_PATH: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/).refine((p) => !p.split('/').includes('..')).optional(),
  MLFLOW_WEBHOOK_SECRET: z.string().min(1).optional(),
  WEBHOOK_TOLERANCE_SECONDS: int(1, 3600).default(300),
  /** Hosts models may be fetched from; `*.example.com` matches subdomains. */
  FETCH_ALLOWED_HOSTS: list.default(['huggingface.co', '*.huggingface.co', '*.hf.co']),
  FETCH_MAX_BYTES: int(1024, 1024 * MiB).default(64 * MiB),
  FETCH_TIMEOUT_MS: int(100, 600_000).default(30_000),
});

export interface Limits {
  uploadBytes: number;
  jsonBytes: number;
  zipEntries: number;
  samples: number;
  work: number;
  trainBatches: number;
  /** Bytes one audit chunk may use (CHUNK_MEMORY_MB). */
  chunkMemoryBytes: number;
  macs: number;
  activationBytes: number;
  jobSeconds: number;
  /** Workers: WORKFLOW_FANOUT when set (jobs/workflow-fanout.ts DEFAULT_FANOUT otherwise). */
  workflowFanout?: number;
  queuedPerKey: number;
  queuedPerAddress: number;
}

export interface RateLimit {
  perMinute: number;
  burst: number;
}

export interface AppConfig {
  apiKeys: string[];
  limits: Limits;
  rateLimits: { writes: RateLimit; reads: RateLimit; authFailures: RateLimit };
  webhooks: { huggingfaceSecret?: string; huggingfaceModelPaths: string[]; mlflowSecret?: string; toleranceSeconds: number };
  fetch: { allowedHosts: string[]; maxBytes: number; timeoutMs: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the variables above (unknown ones are ignored); throws ConfigError naming the first bad variable. */
export function configFromEnv(env: Record<string, unknown>, defaults: { chunkMemoryMb: number } = { chunkMemoryMb: 128 }): AppConfig {
  const strings = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string' && v !== ''));
  const r = EnvSchema.safeParse(strings);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const name = String(issue.path[0] ?? '');
    throw new ConfigError(`${name}: ${issue.message}, got ${JSON.stringify(String(strings[name] ?? '')).slice(0, 60)}`);
  }
  const e = r.data;
  return {
    apiKeys: e.API_KEYS,
    limits: { uploadBytes: e.MAX_UPLOAD_BYTES, jsonBytes: e.MAX_JSON_BYTES, zipEntries: e.MAX_ZIP_ENTRIES, samples: e.MAX_SAMPLES, work: e.MAX_WORK, trainBatches: e.MAX_TRAIN_BATCHES, chunkMemoryBytes: (e.CHUNK_MEMORY_MB ?? defaults.chunkMemoryMb) * MiB,
      macs: e.MAX_MACS, activationBytes: e.MAX_ACTIVATION_BYTES, jobSeconds: e.MAX_JOB_SECONDS, workflowFanout: e.WORKFLOW_FANOUT,
      queuedPerKey: e.MAX_QUEUED_PER_KEY, queuedPerAddress: e.MAX_QUEUED_PER_ADDRESS },
    rateLimits: {
      writes: { perMinute: e.RATE_LIMIT_WRITES_PER_MINUTE, burst: e.RATE_LIMIT_WRITE_BURST },
      reads: { perMinute: e.RATE_LIMIT_READS_PER_MINUTE, burst: e.RATE_LIMIT_READ_BURST },
      authFailures: { perMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE, burst: e.RATE_LIMIT_AUTH_FAILURE_BURST },
    },
    webhooks: {
      huggingfaceSecret: e.HF_WEBHOOK_SECRET, huggingfaceModelPaths: e.HF_MODEL_PATH ? [e.HF_MODEL_PATH] : ['model.json', 'model.onnx'],
      mlflowSecret: e.MLFLOW_WEBHOOK_SECRET, toleranceSeconds: e.WEBHOOK_TOLERANCE_SECONDS,
    },
    fetch: { allowedHosts: e.FETCH_ALLOWED_HOSTS.map((h) => h.toLowerCase()), maxBytes: e.FETCH_MAX_BYTES, timeoutMs: e.FETCH_TIMEOUT_MS },
  };
}

/** Node's defaults where they differ from a Workers isolate's: one chunk may use 1 GiB. */
export const NODE_DEFAULTS = { chunkMemoryMb: 1024 };
