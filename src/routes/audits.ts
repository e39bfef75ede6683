// /v1/audits: start (202), status and progress, paginated list, cancel.
import { createRoute, z } from '@hono/zod-openapi';
import { readRecord } from '../jobs/record';
import type { JobRecord } from '../jobs/types';
import { keys } from '../storage/keys';
import type { Store } from '../storage/store';
import { subApp, type ResolvedDeps } from './deps';
import { ProblemError } from './problem';
import { AuditId, AuditListSchema, AuditRequestSchema, AuditSchema, IdParam, problems } from './schemas';
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
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: AuditId.optional().openapi({ description: 'The `next` of the previous page' }),
    }),
  },
  responses: {
    200: { description: 'A page of audits', content: { 'application/json': { schema: AuditListSchema } } },
    ...problems(400, 429, 503),
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

export async function readAudit(store: Store, id: string): Promise<JobRecord> {
  const rec = await readRecord(store, id);
  if (!rec) throw new ProblemError(404, 'not_found', `expected an audit ${id}, got none`, 'path.id');
  if (rec.kind !== 'audit') throw new ProblemError(404, 'not_found', `expected an audit ${id}, got a job of another kind`, 'path.id');
  return rec;
}

/**
 * Audit ids in key order after `after`. Job folders hold chunk results before state.json ('chunks/' < 'state.json'),
 * so after seeing a job the listing resumes past its chunks (the store's cursor is the last key, docs/storage.md).
 */
async function listIds(store: Store, after: string | undefined, limit: number): Promise<{ ids: string[]; more: boolean }> {
  const ids: string[] = [];
  let cursor = after ? keys.jobState(after) : undefined;
  for (;;) {
    const page = await store.list('jobs/', { cursor, limit: 1000 });
    let skipTo: string | undefined;
    for (const k of page.keys) {
      const m = /^jobs\/([0-9a-f]{32})\/(.*)$/.exec(k);
      if (!m) continue;
      if (m[2] === 'state.json') {
        if (ids.length === limit) return { ids, more: true };
        ids.push(m[1]!);
      } else if (m[2]!.startsWith('chunks/')) {
        skipTo = `jobs/${m[1]}/chunks0`;
        break;
      }
    }
    if (skipTo) { cursor = skipTo; continue; }
    if (!page.cursor) return { ids, more: false };
    cursor = page.cursor;
  }
}

export function auditsApp(deps: ResolvedDeps) {
  const app = subApp();

  app.openapi(create, async (c) => {
    const record = await startAudit(deps, c.req.valid('json'));
    c.header('location', `/v1/audits/${record.id}`);
    return c.json(presentAudit(record), 202);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const { ids, more } = await listIds(deps.store, cursor, limit);
    const items = [];
    for (const id of ids) items.push(presentAudit(await readAudit(deps.store, id)));
    return c.json({ items, ...(more && ids.length ? { next: ids[ids.length - 1] } : {}) }, 200);
  });

  app.openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(presentAudit(await readAudit(deps.store, id)), 200);
  });

  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid('param');
    const rec = await readAudit(deps.store, id);
    if (rec.status === 'succeeded' || rec.status === 'failed' || rec.status === 'canceled') {
      throw new ProblemError(409, 'already_finished', `expected a queued or running audit, got one that is ${rec.status}`, 'path.id');
    }
    await deps.driver.cancel(id);
    return c.json(presentAudit(await readAudit(deps.store, id)), 202);
  });

  return app;
}
