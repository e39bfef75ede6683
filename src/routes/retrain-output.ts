// A retraining job's outputs: the repaired model (zip, or model.json + weights.bin for tf.loadLayersModel(url)),
// the report linking the before/after audits (JSON, HTML) and its attestation.
import { createRoute, z } from '@hono/zod-openapi';
import { zipSync } from 'fflate';
import type { Report } from '../engine/audit/report';
import type { JobRecord, RetrainReport } from '../jobs/types';
import { renderRetrainReportHtml } from '../report/retrain';
import { keys } from '../storage/keys';
import type { Store } from '../storage/store';
import { subApp, type ResolvedDeps } from './deps';
import { readJob } from './jobs';
import { ProblemError } from './problem';
import { EnvelopeSchema, IdParam, problems } from './schemas';

const errors = problems(400, 404, 409, 429, 503);
const route = (path: string, summary: string, type: string, schema: z.ZodType, description = summary) => createRoute({
  method: 'get', path, summary, description, request: { params: IdParam },
  responses: { 200: { description: summary, content: { [type]: { schema } } }, ...errors },
});

const modelZip = route('/{id}/model', 'The repaired model as a zip of model.json and weights.bin (uint8 weights manifest)', 'application/zip',
  z.string().openapi({ format: 'binary' }), 'Available once training has finished (the job may still be auditing). Upload it again with POST /v1/models.');
const modelJson = route('/{id}/model/model.json', 'The repaired model\'s model.json (tfjs Layers, uint8-quantized weights manifest)', 'application/json',
  z.record(z.string(), z.unknown()), 'Its manifest names weights.bin, served next to it: tf.loadLayersModel(this URL) works.');
const weights = route('/{id}/model/weights.bin', 'The repaired model\'s weights (uint8, dequantized by the manifest)', 'application/octet-stream',
  z.string().openapi({ format: 'binary' }));
const report = route('/{id}/report', 'The retraining report: settings, loss curve, before/after accuracies, links to both audits', 'application/json',
  z.record(z.string(), z.unknown()));
const html = route('/{id}/report.html', 'The retraining report as a self-contained HTML page', 'text/html', z.string());
const attestation = route('/{id}/attestation', 'The signed in-toto Statement over the retraining report (both models are subjects)', 'application/json', EnvelopeSchema);

async function repairedModel(store: Store, id: string): Promise<{ json: Uint8Array; weights: Uint8Array }> {
  const rec = await readJob(store, id, 'retrain');
  const sha = rec.retrain?.repairedModel;
  if (!sha) throw new ProblemError(409, 'not_ready', `expected a retraining job whose training has finished, got one in phase ${rec.retrain?.phase ?? 'queued'} (${rec.status})`, 'path.id');
  const [json, w] = await Promise.all([store.get(keys.modelJson(sha)), store.get(keys.modelShard(sha, 0))]);
  if (!json || !w) throw new ProblemError(404, 'not_found', `expected the repaired model ${sha} in storage, got none`, 'path.id');
  return { json, weights: w };
}

async function succeeded(store: Store, id: string): Promise<JobRecord> {
  const rec = await readJob(store, id, 'retrain');
  if (rec.status !== 'succeeded') throw new ProblemError(409, 'not_ready', `expected a succeeded retraining job, got one that is ${rec.status}`, 'path.id');
  return rec;
}

async function readJson<T>(store: Store, key: string, what: string): Promise<T> {
  const bytes = await store.get(key);
  if (!bytes) throw new ProblemError(404, 'not_found', `expected the ${what}, got none`, 'path.id');
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

const verifyCommand = (id: string) =>
  `curl -o attestation.json "$QAUDIT_URL/v1/retrain-jobs/${id}/attestation"\nqaudit verify attestation.json --keys "$QAUDIT_URL" --model model.json`;

export function retrainOutputApp(deps: ResolvedDeps) {
  const app = subApp();
  const binary = (bytes: Uint8Array, type: string, name?: string) => new Response(new Uint8Array(bytes), {
    status: 200, headers: { 'content-type': type, ...(name ? { 'content-disposition': `attachment; filename="${name}"` } : {}) },
  });

  app.openapi(modelZip, async (c) => {
    const m = await repairedModel(deps.store, c.req.valid('param').id);
    // Fixed timestamps: the same model always downloads as the same bytes.
    const zip = zipSync({ 'model.json': [m.json, { mtime: new Date('2000-01-01T00:00:00Z') }], 'weights.bin': [m.weights, { mtime: new Date('2000-01-01T00:00:00Z') }] });
    return binary(zip, 'application/zip', 'model.zip') as never;
  });
  app.openapi(modelJson, async (c) => binary((await repairedModel(deps.store, c.req.valid('param').id)).json, 'application/json') as never);
  app.openapi(weights, async (c) => binary((await repairedModel(deps.store, c.req.valid('param').id)).weights, 'application/octet-stream') as never);

  app.openapi(report, async (c) => {
    const rec = await succeeded(deps.store, c.req.valid('param').id);
    return c.json(await readJson<Record<string, unknown>>(deps.store, keys.report(rec.reportId ?? rec.id), 'retraining report'), 200);
  });

  app.openapi(html, async (c) => {
    const rec = await succeeded(deps.store, c.req.valid('param').id);
    const r = await readJson<RetrainReport>(deps.store, keys.report(rec.reportId ?? rec.id), 'retraining report');
    const [before, after] = await Promise.all([
      readJson<Report>(deps.store, keys.report(r.audits.before.id), 'before audit\'s report'),
      readJson<Report>(deps.store, keys.report(r.audits.after.id), 'after audit\'s report'),
    ]);
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderRetrainReportHtml(r, before, after, rec.id, { signature: { status: 'signed', verifyCommand: verifyCommand(rec.id) } }), 200);
  });

  app.openapi(attestation, async (c) => {
    const rec = await succeeded(deps.store, c.req.valid('param').id);
    return c.json(await readJson<z.infer<typeof EnvelopeSchema>>(deps.store, keys.attestation(rec.reportId ?? rec.id), 'attestation'), 200);
  });

  return app;
}
