// The API's CI outputs: failUnder checked at POST, bits [] (the upload alone), report.sarif valid against the
// SARIF 2.1.0 schema with the request's thresholds, and the model card block.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/jobs/types';
import { keys } from '../../src/storage/keys';
import { sarifValidator } from '../report/sarif-schema';
import { sha256Hex, verifyEnvelope, TEST_RESULT_PREDICATE_TYPE, type TestResult } from '../../src/attest';
import { makeApp, mnistModel, post, problem, uploadModel, type TestApp } from './_app';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const fixture = JSON.parse(readFileSync(new URL('../report/fixtures/report.json', import.meta.url), 'utf8'));

/** An audit the fake driver "ran": record succeeded, the fixture report stored under its id. */
async function finished(t: TestApp, body: Record<string, unknown>) {
  const model = await uploadModel(t);
  const res = await t.req('/v1/audits', post({ model, ...body }));
  expect(res.status).toBe(202);
  const { id } = await res.json() as { id: string };
  const rec = JSON.parse(new TextDecoder().decode((await t.store.get(keys.jobState(id)))!)) as JobRecord;
  await t.store.put(keys.jobState(id), enc({ ...rec, status: 'succeeded', finishedAt: new Date().toISOString() }));
  await t.store.put(keys.report(id), enc(fixture));
  return { id, model };
}

describe('audit requests for CI', () => {
  it('refuses failUnder naming an attack or epsilon outside the audit with 400 at POST, before queueing', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    const attack = await problem(await t.req('/v1/audits', post({ model, attacks: ['fgsm'], failUnder: 'pgd@0.1=0.5' })));
    expect(attack).toMatchObject({ status: 400, field: 'body.failUnder' });
    expect(attack.detail).toContain('pgd is not in attacks (fgsm)');
    const eps = await problem(await t.req('/v1/audits', post({ model, attacks: ['fgsm'], epsilons: [0.1], failUnder: 'worst@0.3=0.5' })));
    expect(eps.detail).toContain('epsilon 0.3 of worst@0.3 is not in epsilons (0.1)');
    expect(await problem(await t.req('/v1/audits', post({ model, failUnder: 'pgd=1' })))).toMatchObject({ status: 400, field: 'body.failUnder' });
    expect(t.driver.started).toEqual([]);
  });

  it('accepts bits [] (the upload alone) and shows failUnder in the audit', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    const res = await t.req('/v1/audits', post({ model, attacks: ['fgsm'], bits: [], failUnder: 'fgsm@0.1=0.5' }));
    expect(res.status).toBe(202);
    const audit = await res.json() as { progress: { total: number }; request: { settings: { bits: number[] }; failUnder: string }; links: { sarif: string; modelCard: string } };
    expect(audit.request.settings.bits).toEqual([]);
    expect(audit.request.failUnder).toBe('fgsm@0.1=0.5');
    expect(audit.links.sarif).toMatch(/\/report\.sarif$/);
    const twins = await (await t.req('/v1/audits', post({ model, attacks: ['fgsm'], bits: [4] }))).json() as { progress: { total: number } };
    expect(audit.progress.total).toBeLessThan(twins.progress.total);
  });
});

describe('GET /v1/audits/{id}/report.sarif and model-card.md', () => {
  it('serves valid SARIF 2.1.0 with a result per missed threshold of the request and per error flag', async () => {
    const t = await makeApp();
    const { id, model } = await finished(t, { attacks: ['fgsm', 'pgd'], epsilons: [0.1, 0.3], failUnder: 'pgd@0.3=0.99,clean=0.01' });
    const res = await t.req(`/v1/audits/${id}/report.sarif`);
    expect(res.headers.get('content-type')).toContain('application/sarif+json');
    const log = await res.json() as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const results = log.runs[0]!.results;
    expect(results.filter((r) => r.ruleId === 'qaudit/threshold-missed')).toHaveLength(1);
    expect(results.filter((r) => r.ruleId.startsWith('qaudit/sanity/'))).toHaveLength(fixture.flags.filter((f: { severity: string }) => f.severity === 'error').length);
    expect(results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe(`models/${model}/model.json`);
    const junit = await (await t.req(`/v1/audits/${id}/report.junit.xml`)).text();
    expect(junit).toContain('below pgd@0.3=0.99');
  });

  it('serves the model-index block, named as asked', async () => {
    const t = await makeApp();
    const { id } = await finished(t, { attacks: ['fgsm'] });
    const text = await (await t.req(`/v1/audits/${id}/model-card.md?name=acme/mnist-q4`)).text();
    const card = parse(text.split('---\n')[1]!) as { 'model-index': { name: string; results: { metrics: { value: number }[]; source: { url: string } }[] }[] };
    expect(card['model-index'][0]!.name).toBe('acme/mnist-q4');
    expect(card['model-index'][0]!.results[0]!.source.url).toBe(`http://localhost/v1/audits/${id}/report.html`);
    expect(card['model-index'][0]!.results[0]!.metrics.length).toBeGreaterThan(2);
  });
});

describe('GET /v1/audits/{id}/test-result', () => {
  it('is an in-toto test-result v0.1 statement, signed like the attestation, over the model files by name', async () => {
    const t = await makeApp();
    const { id } = await finished(t, { attacks: ['fgsm', 'pgd'], epsilons: [0.1, 0.3], failUnder: 'pgd@0.3=0.99,clean=0.01' });
    const envelope = await (await t.req(`/v1/audits/${id}/test-result`)).json();
    const v = await verifyEnvelope(envelope, await (await t.req('/v1/keys')).json() as never);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.statement.predicateType).toBe(TEST_RESULT_PREDICATE_TYPE);
    const files = mnistModel();
    const expected = [{ name: 'model.json', digest: { sha256: await sha256Hex(files.json) } }];
    for (const [name, bytes] of files.files) expected.push({ name, digest: { sha256: await sha256Hex(bytes) } });
    expect(v.statement.subject).toEqual(expected);
    const p = v.statement.predicate as TestResult;
    expect(p.result).toBe('FAILED');
    expect(p.passedTests).toContain('threshold clean=0.01');
    expect(p.failedTests).toContain('threshold pgd@0.3=0.99');
    expect(p.failedTests.filter((x) => x.startsWith('sanity '))).toHaveLength(fixture.flags.filter((f: { severity: string }) => f.severity === 'error').length);
    expect(p.warnedTests.length).toBe(fixture.flags.filter((f: { severity: string }) => f.severity === 'warning').length);
    expect(p.configuration[0]!.annotations).toMatchObject({ failUnder: 'pgd@0.3=0.99,clean=0.01' });
    expect(p.url).toBe(`http://localhost/v1/audits/${id}/report.html`);
    // Deterministic signature: the same bytes on every request.
    expect(await (await t.req(`/v1/audits/${id}/test-result`)).json()).toEqual(envelope);
  });
});
