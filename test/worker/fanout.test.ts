// A Workers audit fanned out over Workflow instances in workerd (WORKFLOW_FANOUT, default 4): the parent starts
// child instances that run the chunks, waits on the store, and signs a report equal to a sequential computation of
// the same plan on this engine. One workflow introspector per file (see retries.test.ts).
import { SELF, env, introspectWorkflow } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { auditParts, createAuditContext, mergeReport, parseSettings, planAudit, runChunk } from '../../src/engine/audit';
import type { ChunkResult } from '../../src/engine/audit';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { loadLayersModel } from '../../src/engine/model';
import { Rng } from '../../src/engine/rng';
import { buildLayersModel } from '../helpers/models';
import { WORKER_API_KEY } from './_env';
import { finished } from './_audit';

const BASE = 'https://qaudit.test';
const AUTH = { authorization: `Bearer ${WORKER_API_KEY}` };
const call = (path: string, init: RequestInit = {}) => SELF.fetch(`${BASE}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });

describe('an audit fanned out over Workflow instances (workerd)', () => {
  it('runs its chunks in child instances and signs the report a sequential run computes', { timeout: 180_000 }, async () => {
    const wf = await introspectWorkflow(env.AUDIT_WORKFLOW);
    try {
      const m = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 3 }], { inputShape: [4, 4, 1], seed: 21 });
      const form = new FormData();
      form.append('model', new File([JSON.stringify(m.json)], 'model.json'));
      for (const [name, bytes] of m.shards) form.append('shard', new File([bytes as Uint8Array<ArrayBuffer>], name));
      const model = ((await (await call('/v1/models', { method: 'POST', body: form })).json()) as { id: string }).id;
      const r = new Rng(21, 'fanout');
      const ds = { name: 'fan', x: Uint8Array.from({ length: 48 * 16 }, () => r.int(256)), y: Int32Array.from({ length: 48 }, (_, i) => i % 3), shape: [48, 4, 4, 1] as [number, number, number, number] };
      const npz = datasetToNpz(ds);
      const data = ((await (await call('/v1/datasets', { method: 'POST', body: npz as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream' } })).json()) as { id: string }).id;
      const body = { model, data, attacks: ['fgsm', 'pgd'], steps: 3, epsilons: [0.1, 0.3], bits: [2], limit: 48, chunkSize: 16, sanity: false, examples: 0 };
      const res = await call('/v1/audits', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const job = await finished(`/v1/audits/${id}`);
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      // The job's instance and its four parts.
      expect(wf.get()).toHaveLength(5);
      const report = (await (await call(`/v1/audits/${id}/report`)).json()) as Record<string, any>;

      // The same plan computed here, chunk after chunk, with the settings the job resolved.
      const settings = parseSettings(report.settings);
      const local = loadLayersModel(m.json, m.shards);
      const ctx = createAuditContext(auditParts(local, ds), settings);
      const chunks = planAudit(settings, { modelBits: local.summary.bits, dataSize: 48 });
      expect(chunks.length).toBe(job.progress.total);
      const results: ChunkResult[] = [];
      for (const c of chunks) results.push(await runChunk(ctx, c));
      const sequential = JSON.parse(JSON.stringify(mergeReport(settings, local.summary, chunks, results, { name: report.data.name, total: 48 })));
      expect(report).toEqual(sequential);
      ctx.dispose();
      local.dispose();
    } finally {
      await wf.dispose();
    }
  });
});
