// /v1/retrain-jobs: start (202), status with progress and loss curve, paginated list, cancel.
import { createRoute, z } from '@hono/zod-openapi';
import { DefenseSettingSchema } from '../engine/defense/settings';
import { requestCancel } from '../jobs/lifecycle';
import { subApp, type ResolvedDeps } from './deps';
import { listJobs, readJob, readUnfinishedJob } from './jobs';
import { RetrainBodySchema, presentRetrain, startRetrain } from './retrain-start';
import { callerOf } from './security';
import { AuditId, IdParam, JobStatusSchema, ListQuery, ProgressSchema, Sha256, problems } from './schemas';

const LossPointSchema = z.object({
  step: z.int(), batches: z.int(), samples: z.int(), loss: z.number(), ce: z.number(),
  boundary: z.number().optional(), distill: z.number().optional(), bracketed: z.int().optional(),
});

export const RetrainJobSchema = z.object({
  id: AuditId,
  status: JobStatusSchema,
  phase: z.enum(['queued', 'training', 'auditing', 'reporting', 'done']),
  progress: ProgressSchema.extend({
    fraction: z.number().min(0).max(1).openapi({ description: 'Overall progress in [0, 1] that never decreases: training is the first half, the two audits up to 0.95, reporting up to 0.99, 1 once succeeded' }),
  }).openapi({ description: 'done/total: training steps during phase training, audit chunks (both audits) during auditing; current and etaSeconds only while the job runs' }),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  request: z.object({
    model: Sha256, method: z.string(), bits: z.int(), epochs: z.int(), seed: z.int(), defense: DefenseSettingSchema, data: z.string(),
    settings: z.record(z.string(), z.unknown()), audit: z.record(z.string(), z.unknown()), evalData: z.string(),
  }),
  loss: z.array(LossPointSchema).openapi({ description: 'The loss curve: one point per finished training step' }),
  repairedModel: Sha256.optional(),
  audits: z.object({ before: AuditId, after: AuditId }).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  links: z.record(z.string(), z.string()),
}).openapi('RetrainJob');

const create = createRoute({
  method: 'post',
  path: '/',
  summary: 'Start a retraining job (ends with a before/after audit)',
  request: { body: { required: true, content: { 'application/json': { schema: RetrainBodySchema } } } },
  responses: {
    202: { description: 'Queued; poll the self link', content: { 'application/json': { schema: RetrainJobSchema } } },
    ...problems(400, 401, 403, 404, 413, 415, 422, 429, 503),
  },
});

const list = createRoute({
  method: 'get',
  path: '/',
  summary: 'List retraining jobs (ordered by id, not by time)',
  description: 'Needs an API key like a write (loopback only when none are configured): ids are capabilities, so only key holders may enumerate them.',
  request: {
    query: ListQuery,
  },
  responses: {
    200: { description: 'A page of jobs', content: { 'application/json': { schema: z.object({ items: z.array(RetrainJobSchema), next: z.string().optional() }).openapi('RetrainJobList') } } },
    ...problems(400, 401, 403, 429, 503),
  },
});

const get = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A retraining job\'s status, phase, progress and loss curve',
  request: { params: IdParam },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: RetrainJobSchema } } },
    ...problems(400, 404, 429, 503),
  },
});

const cancel = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Cancel a retraining job (it becomes canceled once the runner has stopped it)',
  request: { params: IdParam },
  responses: {
    202: { description: 'Cancellation requested', content: { 'application/json': { schema: RetrainJobSchema } } },
    ...problems(400, 401, 403, 404, 409, 429, 503),
  },
});

export function retrainApp(deps: ResolvedDeps) {
  const app = subApp();

  app.openapi(create, async (c) => {
    const record = await startRetrain(deps, c.req.valid('json'), callerOf(c));
    c.header('location', `/v1/retrain-jobs/${record.id}`);
    return c.json(presentRetrain(record), 202);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const { items, next } = await listJobs(deps.store, 'retrain', cursor, limit);
    return c.json({ items: items.map(presentRetrain), ...(next ? { next } : {}) }, 200);
  });

  app.openapi(get, async (c) => c.json(presentRetrain(await readJob(deps.store, c.req.valid('param').id, 'retrain')), 200));

  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid('param');
    const rec = await readUnfinishedJob(deps.store, id, 'retrain');
    await deps.driver.cancel(id);
    // Its closing audits stop too: they check their own markers between chunks (on Workers in their own steps).
    for (const child of rec.retrain?.audits ? [rec.retrain.audits.before, rec.retrain.audits.after] : []) await requestCancel(deps.store, child);
    return c.json(presentRetrain(await readJob(deps.store, id, 'retrain')), 202);
  });

  return app;
}
