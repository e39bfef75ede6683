import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { makeApp } from './_app';

const FILE = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

describe('OpenAPI document', () => {
  it('served at /openapi.yaml equals the committed openapi.yaml (UPDATE_OPENAPI=1 rewrites it)', async () => {
    const t = await makeApp();
    const served = await (await t.req('/openapi.yaml')).text();
    if (process.env.UPDATE_OPENAPI === '1') await writeFile(FILE, served);
    const committed = await readFile(FILE, 'utf8');
    expect(parse(served)).toEqual(parse(committed));
    expect(served).toBe(committed);
  });

  it('serves the same document as JSON, covering every route', async () => {
    const t = await makeApp();
    const doc = await (await t.req('/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    expect(doc).toEqual(parse(await readFile(FILE, 'utf8')));
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    expect(routes).toEqual([
      'DELETE /v1/audits/{id}', 'GET /healthz', 'GET /v1/audits', 'GET /v1/audits/{id}', 'GET /v1/audits/{id}/attestation',
      'GET /v1/audits/{id}/report', 'GET /v1/audits/{id}/report.html', 'GET /v1/audits/{id}/report.junit.xml',
      'GET /v1/audits/{id}/report.sarif', 'GET /v1/audits/{id}/model-card.md', 'GET /v1/audits/{id}/test-result',
      'GET /v1/audits/{id}/samples.jsonl',
      'GET /v1/datasets/{id}', 'GET /v1/keys', 'GET /v1/models/{id}', 'POST /v1/audits', 'POST /v1/datasets',
      'POST /v1/hooks/huggingface', 'POST /v1/hooks/mlflow', 'POST /v1/models',
      'DELETE /v1/retrain-jobs/{id}', 'GET /v1/retrain-jobs', 'GET /v1/retrain-jobs/{id}', 'GET /v1/retrain-jobs/{id}/attestation',
      'GET /v1/retrain-jobs/{id}/model', 'GET /v1/retrain-jobs/{id}/model/model.json', 'GET /v1/retrain-jobs/{id}/model/weights.bin',
      'GET /v1/retrain-jobs/{id}/report', 'GET /v1/retrain-jobs/{id}/report.html', 'POST /v1/retrain-jobs',
    ].sort());
  });
});
