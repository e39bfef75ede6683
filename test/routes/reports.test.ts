import { describe, expect, it } from 'vitest';
import { createStatement, signStatement, verifyEnvelope } from '../../src/attest';
import { keys } from '../../src/storage/keys';
import type { JobRecord } from '../../src/jobs/types';
import { fakeReport } from '../engine/audit/fixtures';
import { makeApp, post, problem, uploadModel, type TestApp } from './_app';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** An audit the fake driver "ran": its record set to succeeded and a signed report stored under its id. */
async function finishedAudit(t: TestApp) {
  const model = await uploadModel(t);
  const { id } = await (await t.req('/v1/audits', post({ model, attacks: ['fgsm'] }))).json() as { id: string };
  const rec = JSON.parse(new TextDecoder().decode((await t.store.get(keys.jobState(id)))!)) as JobRecord;
  const report = fakeReport();
  await t.store.put(keys.jobState(id), enc({ ...rec, status: 'succeeded', finishedAt: new Date().toISOString() }));
  await t.store.put(keys.report(id), enc(report));
  await t.store.put(keys.attestation(id), enc(await signStatement(createStatement([{ name: 'model', digest: { sha256: model } }], report), t.signer)));
  return { id, model, report };
}

describe('reports', () => {
  it('serves the report as JSON, escaped HTML and JUnit, and an attestation that verifies with /v1/keys', async () => {
    const t = await makeApp();
    const { id, model, report } = await finishedAudit(t);
    expect(await (await t.req(`/v1/audits/${id}/report`)).json()).toEqual(report);

    const html = await t.req(`/v1/audits/${id}/report.html`);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await html.text();
    expect(page).toContain('synthetic &lt;&amp;&gt;');
    expect(page).not.toContain('<&>');
    expect(page).not.toMatch(/<script/i);

    const junit = await t.req(`/v1/audits/${id}/report.junit.xml`);
    expect(junit.headers.get('content-type')).toContain('application/xml');
    expect(await junit.text()).toMatch(/^<\?xml[\s\S]*<testsuites name="qaudit"/);

    const envelope = await (await t.req(`/v1/audits/${id}/attestation`)).json();
    const jwks = await (await t.req('/v1/keys')).json() as { keys: { kid: string }[] };
    expect(jwks.keys).toHaveLength(1);
    const v = await verifyEnvelope(envelope, jwks as never);
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.statement.subject[0]!.digest.sha256).toBe(model);
  });

  it('answers 409 while the audit is not finished and 404 for unknown ids', async () => {
    const t = await makeApp();
    const model = await uploadModel(t);
    const { id } = await (await t.req('/v1/audits', post({ model, attacks: ['fgsm'] }))).json() as { id: string };
    for (const suffix of ['report', 'report.html', 'report.junit.xml', 'attestation']) {
      expect(await problem(await t.req(`/v1/audits/${id}/${suffix}`))).toMatchObject({ status: 409, code: 'not_ready' });
      expect(await problem(await t.req(`/v1/audits/${'1'.repeat(32)}/${suffix}`))).toMatchObject({ status: 404 });
    }
  });
});
