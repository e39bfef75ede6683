// POST /v1/retrain-jobs with `defense`: the audit's schema, stored in the job's settings and in its closing audits.
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecord } from '../../src/jobs/record';
import { makeApp, post, problem, uploadModel, type TestApp } from './_app';

describe('retraining behind a defense, through the API', () => {
  let t: TestApp;
  let model: string;
  beforeAll(async () => {
    t = await makeApp();
    model = await uploadModel(t);
  });

  const start = (body: Record<string, unknown>) => t.req('/v1/retrain-jobs', post({ model, method: 'qat', bits: 2, settings: { maxBatches: 4 }, ...body }));

  it('stores the mapping with its defaults in the settings and in the closing audits, which add a black-box attack', async () => {
    const res = await start({ defense: { mapping: 'staircase', levels: 8 } });
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; request: Record<string, any> };
    const want = { mapping: 'staircase', levels: 8, sharpness: 200 };
    expect(job.request.defense).toEqual(want);
    expect(t.driver.started).toContainEqual([job.id, 'retrain']);
    const req = (await readRecord(t.store, job.id))!.request as Record<string, any>;
    expect(req.settings.defense).toEqual(want);
    expect(req.audit.defense).toEqual(want);
    expect(req.audit.attacks).toEqual(['fgsm', 'pgd', 'square']);
    expect(req.audit.bits).toEqual([2]);
  });

  it('keeps the closing audit\'s attacks the body names, and leaves jobs without a defense as they were', async () => {
    const named = (await (await start({ defense: { mapping: 'random' }, audit: { attacks: ['pgd'] } })).json()) as { id: string };
    const req = (await readRecord(t.store, named.id))!.request as Record<string, any>;
    expect(req.audit).toMatchObject({ attacks: ['pgd'], defense: { mapping: 'random', levels: 4 } });
    const plain = (await (await start({})).json()) as { id: string; request: Record<string, any> };
    expect(plain.request.defense).toBe('none');
    const preq = (await readRecord(t.store, plain.id))!.request as Record<string, any>;
    expect(preq.audit).toMatchObject({ attacks: ['fgsm', 'pgd'], defense: 'none' });
  });

  it('refuses a bad mapping, or a defense outside the top level, with a problem naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ defense: { mapping: 'staircase', levels: 1 } }, 'body.defense'],
      [{ defense: { mapping: 'jpeg' } }, 'body.defense'],
      [{ defense: { mapping: 'sine', phase: 1 } }, 'body.defense'],
      [{ settings: { defense: { mapping: 'sine' } } }, 'body.settings.defense'],
      [{ audit: { defense: { mapping: 'sine' } } }, 'body.audit.defense'],
    ];
    const before = t.driver.started.length;
    for (const [body, field] of cases) {
      const res = await start(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const p = await problem(res);
      expect(p.field, JSON.stringify(p)).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}`));
      expect(p.detail).toContain('defense');
    }
    expect(t.driver.started.length).toBe(before);
  });
});
