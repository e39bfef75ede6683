// GET /v1/audits/{id}/samples.jsonl: the per-sample lines of a real audit (real runner, real s3rver) count exactly
// what the report's rows and clean rows count.
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/engine/audit';
import { rowKey, type SampleLine } from '../../src/engine/audit';
import { keys } from '../../src/storage/keys';
import { listAll } from '../../src/storage/store';
import { post, problem, useRealApp, uploadModel, type TestApp } from './_app';

describe('per-sample results as JSON lines', { timeout: 180_000 }, () => {
  const real = useRealApp();

  it('streams one line per row and sample whose counts equal the report, in several chunks', async () => {
    const model = await uploadModel(real.t);
    const settings = { model, attacks: ['fgsm', 'pgd', 'transfer'], steps: 3, bits: [2], epsilons: [0.1, 0.3], limit: 40, chunkSize: 16 };
    const { id } = await (await real.t.req('/v1/audits', post(settings))).json() as { id: string };
    expect(await problem(await real.t.req(`/v1/audits/${id}/samples.jsonl`))).toMatchObject({ status: 409, code: 'not_ready' });
    await real.driver.idle();
    const audit = await (await real.t.req(`/v1/audits/${id}`)).json() as { status: string; error?: unknown; links: { samples: string } };
    expect(audit.status, JSON.stringify(audit.error)).toBe('succeeded');
    const report = await (await real.t.req(`/v1/audits/${id}/report`)).json() as Report;

    const res = await real.t.req(audit.links.samples);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as SampleLine);
    const n = report.data.samples;
    expect(n).toBe(40);
    expect(lines).toHaveLength((report.clean.length + report.rows.length) * n);

    const byRow = new Map<string, SampleLine[]>();
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(['correct', 'label', 'prediction', 'row', 'sample']);
      expect(Number.isInteger(l.prediction) && l.prediction >= 0 && l.prediction < 10).toBe(true);
      if (l.correct) expect(l.prediction).toBe(l.label);
      (byRow.get(l.row) ?? byRow.set(l.row, []).get(l.row)!).push(l);
    }
    const check = (key: string, correct: number) => {
      const ls = byRow.get(key)!;
      expect(ls.map((l) => l.sample), key).toEqual([...Array(n).keys()]);
      expect(ls.filter((l) => l.correct).length, key).toBe(correct);
    };
    for (const c of report.clean) check(`clean/${c.variant}/${c.defense}`, c.correct);
    for (const r of report.rows) check(rowKey(r), r.correct);
    // The AutoAttack convention: a sample wrong on the clean input is wrong in every row of its classifier.
    for (const r of report.rows) {
      const clean = byRow.get(`clean/${r.variant}/${r.defense}`)!;
      byRow.get(rowKey(r))!.forEach((l, i) => { if (!clean[i]!.correct) expect(l.correct).toBe(0); });
    }
    // Some attack row must differ from its clean row, or the lines would not show the attack at all.
    expect(report.rows.some((r) => byRow.get(rowKey(r))!.some((l, i) => l.prediction !== byRow.get(`clean/${r.variant}/${r.defense}`)![i]!.prediction))).toBe(true);
  });

  it('answers 404 problem+json for an unknown audit, and for a finished one whose chunk results are gone', async () => {
    expect(await problem(await real.t.req(`/v1/audits/${'2'.repeat(32)}/samples.jsonl`))).toMatchObject({ status: 404 });
    const model = await uploadModel(real.t);
    const { id } = await (await real.t.req('/v1/audits', post({ model, attacks: ['fgsm'], bits: [2], limit: 16 }))).json() as { id: string };
    await real.driver.idle();
    expect((await real.t.req(`/v1/audits/${id}/samples.jsonl`)).status).toBe(200);
    const chunk = (await listAll(real.store, keys.jobChunksPrefix(id))).find((k) => !k.endsWith('/plan.json'))!;
    await real.store.delete(chunk);
    const p = await problem(await real.t.req(`/v1/audits/${id}/samples.jsonl`));
    expect(p).toMatchObject({ status: 404, code: 'not_found', field: 'path.id' });
    expect(p.detail).not.toContain(chunk);
  });
});
