// Shared request and response schemas of the HTTP API (zod, with OpenAPI names); the engine's own schemas are reused.
import { z } from '@hono/zod-openapi';
import { AuditSettingsSchema } from '../engine/audit/settings';
import { ModelSummarySchema, ReportSchema } from '../engine/audit/report';

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 as 64 lowercase hex chars')
  .openapi({ example: 'a3f1c9d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1' });
export const AuditId = z.string().regex(/^[0-9a-f]{32}$/, 'expected an audit id of 32 lowercase hex chars')
  .openapi({ example: '5f0c6e7a9b1d4e2f8a3c6b9d0e1f2a3b' });
/** 'mnist' (built in) or the id of an uploaded .npz. */
export const DataRef = z.string().regex(/^(mnist|[0-9a-f]{64})$/, 'expected "mnist" or the sha256 id of an uploaded data set')
  .openapi({ example: 'mnist' });

export const ProblemSchema = z.object({
  type: z.string().openapi({ example: 'https://qaudit.dev/problems/invalid_request' }),
  title: z.string().openapi({ example: 'Bad Request' }),
  status: z.int().openapi({ example: 400 }),
  detail: z.string().openapi({ example: 'body.epsilons: Too big: expected array to have <=8 items' }),
  code: z.string().openapi({ example: 'invalid_request' }),
  field: z.string().optional().openapi({ example: 'body.epsilons' }),
  instance: z.string().optional().openapi({ example: '/v1/audits' }),
}).openapi('Problem');

/** Error responses in problem+json, by status. */
export function problems(...statuses: number[]) {
  const out: Record<number, { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }> = {};
  const text: Record<number, string> = {
    400: 'Invalid request (the problem names the field)', 401: 'Missing or wrong API key, or bad webhook signature',
    403: 'Writes without API keys configured are accepted from loopback only', 404: 'Unknown id',
    409: 'Conflicting content or state', 413: 'Body larger than the upload limit', 415: 'Unsupported Content-Type',
    422: 'Well-formed but unusable content, or a limit exceeded', 429: 'Rate limit exceeded (see Retry-After)',
    503: 'Storage unavailable (retry later)',
  };
  for (const s of statuses) out[s] = { description: text[s] ?? 'Error', content: { 'application/problem+json': { schema: ProblemSchema } } };
  return out;
}

// Engine schemas may be built before @hono/zod-openapi extends zod, so they get no .openapi() name (inlined in the document).
export const ModelSummary = ModelSummarySchema;
export const ModelInfoSchema = z.object({
  id: Sha256,
  /** false: the same model was already stored. */
  created: z.boolean(),
  summary: ModelSummary,
  links: z.object({ self: z.string() }),
}).openapi('ModelInfo');

const ImageSetSchema = z.object({
  sizes: z.array(z.object({ width: z.int(), height: z.int(), channels: z.int(), count: z.int() }))
    .openapi({ description: 'Distinct image sizes (channels as decoded: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), most frequent first, at most 20' }),
  formats: z.object({ png: z.int(), jpeg: z.int() }),
  skipped: z.object({ count: z.int(), examples: z.array(z.string()) })
    .openapi({ description: 'Files that are not .png/.jpg/.jpeg, or outside any class folder (at most 10 named)' }),
}).openapi('ImageSet');

export const DatasetInfoSchema = z.object({
  id: z.string().openapi({ example: 'mnist' }),
  created: z.boolean().optional(),
  format: z.enum(['builtin', 'npz', 'images']).openapi({ description: 'How the data was uploaded: an .npz, or a zip of class folders of images' }),
  samples: z.int(),
  /** [H, W, C], or [D] for flat data (fitted to the model when an audit starts). */
  shape: z.array(z.int()).optional()
    .openapi({ description: '[H, W, C], or [D] for flat data; for images only when all share one size (they are resized to the model\'s input when an audit starts)' }),
  dtype: z.enum(['uint8', 'float32']),
  /** Largest label + 1; for images, the number of class folders. */
  classes: z.int(),
  classNames: z.array(z.string()).optional().openapi({ description: 'Image data: class folder names in code-point order; label = index' }),
  images: ImageSetSchema.optional(),
  bytes: z.int().optional(),
  links: z.object({ self: z.string() }),
}).openapi('DatasetInfo');

const settingsShape = (AuditSettingsSchema as unknown as { in: z.ZodObject }).in.shape;
/** The audit request: model and data plus the engine's settings (defaults and limits from AuditSettingsSchema). */
export const AuditRequestSchema = z.object({
  model: Sha256,
  data: DataRef.default('mnist'),
  ...settingsShape,
  failUnder: z.string().max(1000).optional().openapi({
    description: 'Thresholds as in `qaudit --fail-under` ("pgd@0.1=0.5,clean=0.9"), applied by report.junit.xml and report.sarif; ' +
      'an attack or epsilon that is not in this audit is refused with 400',
  }),
}).strict().openapi('AuditRequest');

/** A page of a job listing: ordered by id; `cursor` is the `next` of the previous page. */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: AuditId.optional().openapi({ description: 'The `next` of the previous page' }),
});

export const JobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']);
export const AuditLinksSchema = z.object({
  self: z.string(), report: z.string(), reportHtml: z.string(), junit: z.string(), sarif: z.string(), modelCard: z.string(), testResult: z.string(), samples: z.string(), attestation: z.string(),
});
/** A job's progress (jobs/types.ts JobProgress as presented by routes/progress.ts). */
export const ProgressSchema = z.object({
  done: z.int(), total: z.int(), current: z.string().optional(), etaSeconds: z.number().optional(),
  lastChunk: z.object({ id: z.string(), seconds: z.number(), memoryBytes: z.int() }).optional()
    .openapi({ description: 'The last chunk this run computed: wall time (compute and the write of its result) and the engine memory after it (the wasm heap of the thread or Workers isolate that ran it)' }),
  memory: z.object({ peakBytes: z.int(), plannedBytes: z.int(), budgetBytes: z.int() }).optional()
    .openapi({ description: 'The largest engine memory of any chunk so far, the memory plan\'s estimate for a chunk at the chosen micro-batch, and the budget (CHUNK_MEMORY_MB)' }),
});

export const AuditSchema = z.object({
  id: AuditId,
  status: JobStatusSchema,
  progress: ProgressSchema.openapi({ description: 'done/total: chunks; current and etaSeconds only while the job runs' }),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  request: z.object({ model: Sha256, data: DataRef, settings: z.record(z.string(), z.unknown()), failUnder: z.string().optional() }),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  links: AuditLinksSchema,
}).openapi('Audit');

export const AuditListSchema = z.object({
  items: z.array(AuditSchema),
  /** Pass as `cursor` for the next page; absent on the last page. */
  next: z.string().optional(),
}).openapi('AuditList');

export const Report = ReportSchema;

export const EnvelopeSchema = z.object({
  payloadType: z.string().openapi({ example: 'application/vnd.in-toto+json' }),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
}).openapi('DsseEnvelope');

export const JwksSchema = z.object({
  keys: z.array(z.object({
    kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), alg: z.literal('EdDSA'), use: z.literal('sig'),
  })),
}).openapi('Jwks');

export const HookResultSchema = z.object({
  /** false when the event is not a new model version (nothing was done). */
  accepted: z.boolean(),
  reason: z.string().optional(),
  model: Sha256.optional(),
  audit: AuditId.optional(),
  links: AuditLinksSchema.optional(),
  /** Markdown for a pull-request comment on the model repository: the audit's links and where its model card block will be. */
  comment: z.string().optional(),
}).openapi('HookResult');

export const IdParam = z.object({ id: AuditId.openapi({ param: { name: 'id', in: 'path' } }) });
export const Sha256Param = z.object({ id: Sha256.openapi({ param: { name: 'id', in: 'path' } }) });
