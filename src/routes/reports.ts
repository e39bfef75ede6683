// /v1/audits/{id}/report(.html|.junit.xml|.sarif), /samples.jsonl and /attestation: readable by anyone holding the
// unguessable audit id.
import { createRoute, z } from '@hono/zod-openapi';
import { parseThresholds, renderJunit } from '../engine/audit/junit';
import type { Report } from '../engine/audit/report';
import { auditSampleLines } from '../jobs/audit';
import type { AuditRequest, JobRecord } from '../jobs/types';
import { renderSarif } from '../report/sarif';
import { renderModelCard } from '../report/model-card';
import { auditOutcome } from '../report/gates';
import { sha256Hex, signStatement, testResult, testResultStatement } from '../attest';
import { readStoredModel } from './ingest';
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
const sarif = route('/{id}/report.sarif', 'The report as SARIF 2.1.0: one result per missed failUnder threshold and per error-level sanity flag', 'application/sarif+json', z.record(z.string(), z.unknown()));
const card = route('/{id}/model-card.md', 'A Hugging Face model card model-index block (YAML front matter) with the headline numbers', 'text/markdown', z.string());
const tested = route('/{id}/test-result', 'An in-toto test-result v0.1 Statement over the audit (DSSE envelope; subjects: the model files by name, as OpenSSF model-signing lists them)', 'application/json', EnvelopeSchema);
const samples = route('/{id}/samples.jsonl', 'Per-sample results as JSON lines: {sample, row, label, prediction, correct} per report row and sample (docs/report.md#per-sample-results)', 'application/x-ndjson', z.string());
const attestation = route('/{id}/attestation', 'The signed in-toto Statement over the report (DSSE envelope, verify with GET /v1/keys)', 'application/json', EnvelopeSchema);

const describeGates = (ts: ReturnType<typeof parseThresholds>) => ts.map((t) => (t.epsilon === null ? `${t.target}=${t.min}` : `${t.target}@${t.epsilon}=${t.min}`)).join(',');

/** The request's thresholds (validated at POST); a retraining job's closing audits have none. */
const thresholdsOf = (r: JobRecord) => {
  const failUnder = (r.request as Partial<AuditRequest>).failUnder;
  return failUnder ? parseThresholds(failUnder) : [];
};

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
  const withThresholds = async (id: string) => {
    const rec = await finished(deps.store, id);
    return { report: await readJsonKey<Report>(deps.store, keys.report(reportId(rec)), 'report'), thresholds: thresholdsOf(rec), model: String((rec.request as Partial<AuditRequest>).model ?? '') };
  };

  app.openapi(json, async (c) => c.json(await report(c.req.valid('param').id), 200));

  app.openapi(html, async (c) => {
    const { id } = c.req.valid('param');
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderReportHtml(await report(id), id), 200);
  });

  app.openapi(junit, async (c) => {
    const { report: r, thresholds } = await withThresholds(c.req.valid('param').id);
    return c.body(renderJunit(r, thresholds), 200, { 'content-type': 'application/xml; charset=utf-8' });
  });

  app.openapi(card, async (c) => {
    const { id } = c.req.valid('param');
    const { report: r, model } = await withThresholds(id);
    const text = renderModelCard(r, { name: c.req.query('name') ?? `sha256:${model}`, reportUrl: new URL(`/v1/audits/${id}/report.html`, c.req.url).href });
    return c.body(text, 200, { 'content-type': 'text/markdown; charset=utf-8' });
  });

  app.openapi(sarif, async (c) => {
    const { report: r, thresholds, model } = await withThresholds(c.req.valid('param').id);
    // The server knows the model by its digest, not by a path in anyone's repository.
    const log = renderSarif(r, thresholds, { artifact: `models/${model}/model.json` });
    return c.body(JSON.stringify(log, null, 2), 200, { 'content-type': 'application/sarif+json' });
  });

  app.openapi(tested, async (c) => {
    const { id } = c.req.valid('param');
    if (!deps.signer) throw new ProblemError(404, 'not_configured', 'expected a signing key on this server, got none');
    const { report: r, thresholds, model } = await withThresholds(id);
    const files = await readStoredModel(deps.store, model);
    if (!files) throw new ProblemError(404, 'not_found', `expected the audited model ${model}, got none`, 'path.id');
    const subjects = [{ name: 'model.json', digest: { sha256: await sha256Hex(new TextEncoder().encode(files.text)) } }];
    for (const [name, bytes] of files.shards) subjects.push({ name, digest: { sha256: await sha256Hex(bytes) } });
    const origin = new URL(c.req.url).origin;
    const settings = JSON.stringify(r.settings);
    const configuration = [{
      name: 'qaudit audit settings', uri: `${origin}/v1/audits/${id}`, mediaType: 'application/json',
      digest: { sha256: await sha256Hex(new TextEncoder().encode(settings)) }, annotations: { settings: r.settings, failUnder: describeGates(thresholds) },
    }];
    const statement = testResultStatement(subjects, testResult(auditOutcome(r, thresholds), configuration, `${origin}/v1/audits/${id}/report.html`));
    // Ed25519 is deterministic: signing on every request serves the same bytes each time.
    return c.json(await signStatement(statement, deps.signer), 200);
  });

  app.openapi(samples, async (c) => {
    const { id } = c.req.valid('param');
    const rec = await finished(deps.store, id);
    const lines = await auditSampleLines(rec.id, deps.store);
    if (!lines) throw new ProblemError(404, 'not_found', 'expected the stored plan and every chunk result of this audit, got some missing', 'path.id');
    return c.body(jsonLines(lines), 200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': `attachment; filename="${id}-samples.jsonl"` });
  });

  app.openapi(attestation, async (c) => {
    const rec = await finished(deps.store, c.req.valid('param').id);
    return c.json(await readJsonKey<z.infer<typeof EnvelopeSchema>>(deps.store, keys.attestation(reportId(rec)), 'attestation'), 200);
  });

  return app;
}

/** A lazy stream of JSON lines, 1000 lines per chunk, so a large audit's lines are never one string. */
function jsonLines(lines: Iterator<unknown>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    pull(ctrl) {
      let text = '';
      for (let k = 0; k < 1000; k++) {
        const next = lines.next();
        if (next.done) {
          if (text) ctrl.enqueue(enc.encode(text));
          ctrl.close();
          return;
        }
        text += `${JSON.stringify(next.value)}\n`;
      }
      ctrl.enqueue(enc.encode(text));
    },
  });
}
