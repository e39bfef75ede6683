// /v1/audits/{id}/report(.html|.junit.xml) and /attestation: readable by anyone holding the unguessable audit id.
import { createRoute, z } from '@hono/zod-openapi';
import { renderJunit } from '../engine/audit/junit';
import type { Report } from '../engine/audit/report';
import type { JobRecord } from '../jobs/types';
import { keys } from '../storage/keys';
import type { Store } from '../storage/store';
import { readAudit } from './audits';
import { subApp, type ResolvedDeps } from './deps';
import { renderReportHtml } from './html';
import { ProblemError } from './problem';
import { EnvelopeSchema, IdParam, Report as ReportOut, problems } from './schemas';

const errors = problems(400, 404, 409, 429, 503);
const route = (path: string, summary: string, type: string, schema: z.ZodType) => createRoute({
  method: 'get', path, summary, request: { params: IdParam },
  responses: { 200: { description: summary, content: { [type]: { schema } } }, ...errors },
});

const json = route('/{id}/report', 'The audit report (JSON, docs/report.md)', 'application/json', ReportOut);
const html = route('/{id}/report.html', 'The report as a self-contained HTML page', 'text/html', z.string());
const junit = route('/{id}/report.junit.xml', 'The report as JUnit XML', 'application/xml', z.string());
const attestation = route('/{id}/attestation', 'The signed in-toto Statement over the report (DSSE envelope, verify with GET /v1/keys)', 'application/json', EnvelopeSchema);

/** The job records where its report went (audit jobs use their own id). */
const reportId = (r: JobRecord) => r.reportId ?? r.id;

async function finished(store: Store, id: string): Promise<JobRecord> {
  const rec = await readAudit(store, id);
  if (rec.status !== 'succeeded') {
    throw new ProblemError(409, 'not_ready', `expected a succeeded audit, got one that is ${rec.status}`, 'path.id');
  }
  return rec;
}

async function readJsonKey<T>(store: Store, key: string, what: string): Promise<T> {
  const bytes = await store.get(key);
  if (!bytes) throw new ProblemError(404, 'not_found', `expected the ${what} of this audit, got none`, 'path.id');
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

export function reportsApp(deps: ResolvedDeps) {
  const app = subApp();
  const report = async (id: string) => readJsonKey<Report>(deps.store, keys.report(reportId(await finished(deps.store, id))), 'report');

  app.openapi(json, async (c) => c.json(await report(c.req.valid('param').id), 200));

  app.openapi(html, async (c) => {
    const { id } = c.req.valid('param');
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderReportHtml(await report(id), id), 200);
  });

  app.openapi(junit, async (c) => {
    const xml = renderJunit(await report(c.req.valid('param').id));
    return c.body(xml, 200, { 'content-type': 'application/xml; charset=utf-8' });
  });

  app.openapi(attestation, async (c) => {
    const rec = await finished(deps.store, c.req.valid('param').id);
    return c.json(await readJsonKey<z.infer<typeof EnvelopeSchema>>(deps.store, keys.attestation(reportId(rec)), 'attestation'), 200);
  });

  return app;
}
