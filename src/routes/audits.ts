// /v1/audits: start (202), status and progress, paginated list, cancel.
import { createRoute, z } from '@hono/zod-openapi';
import type { JobRecord } from '../jobs/types';
import type { Store } from '../storage/store';
import { subApp, type ResolvedDeps } from './deps';
import { listJobs, readJob, readUnfinishedJob } from './jobs';
import { AuditListSchema, ListQuery, AuditRequestSchema, AuditSchema, IdParam, problems } from './schemas';
import { callerOf } from './security';
import { presentAudit, startAudit } from './start';

const create = createRoute({
  method: 'post',
  path: '/',
  summary: 'Start an audit',
  request: { body: { required: true, content: { 'application/json': { schema: AuditRequestSchema } } } },
  responses: {
    202: { description: 'Queued; poll the self link', content: { 'application/json': { schema: AuditSchema } } },
    ...problems(400, 401, 403, 404, 413, 415, 422, 429, 503),
  },
});

const list = createRoute({
  method: 'get',
  path: '/',
  summary: 'List audits (ordered by id, not by time)',
  description: 'Needs an API key like a write (loopback only when none are configured): ids are capabilities, so only key holders may enumerate them.',
  request: {
    query: ListQuery,
  },
  responses: {
    200: { description: 'A page of audits', content: { 'application/json': { schema: AuditListSchema } } },
    ...problems(400, 401, 403, 429, 503),
  },
});

const get = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'An audit\'s status, progress and timestamps',
  request: { params: IdParam },
  responses: {
    200: { description: 'The audit', content: { 'application/json': { schema: AuditSchema } } },
    ...problems(400, 404, 429, 503),
  },
});

const cancel = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Cancel an audit (it becomes canceled once the runner has stopped it)',
  request: { params: IdParam },
  responses: {
    202: { description: 'Cancellation requested', content: { 'application/json': { schema: AuditSchema } } },
    ...problems(400, 401, 403, 404, 409, 429, 503),
  },
});

export const readAudit = (store: Store, id: string): Promise<JobRecord> => readJob(store, id, 'audit');

export function auditsApp(deps: ResolvedDeps) {
  const app = subApp();

  app.openapi(create, async (c) => {
    const record = await startAudit(deps, c.req.valid('json'), callerOf(c));
    c.header('location', `/v1/audits/${record.id}`);
    return c.json(presentAudit(record), 202);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const { items, next } = await listJobs(deps.store, 'audit', cursor, limit);
    return c.json({ items: items.map(presentAudit), ...(next ? { next } : {}) }, 200);
  });

  app.openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(presentAudit(await readAudit(deps.store, id)), 200);
  });

  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid('param');
    await readUnfinishedJob(deps.store, id, 'audit');
    await deps.driver.cancel(id);
    return c.json(presentAudit(await readAudit(deps.store, id)), 202);
  });

  return app;
}
