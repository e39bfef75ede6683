// A published MobileNetV2 (nsfwjs' uint8 tfjs Layers model, 224x224x3, 161 layers) audited as a Workflow instance
// in workerd, on a photograph with labels from the model; the job's progress carries the chunk's measured memory.
// The workerd project runs with CHUNK_MEMORY_MB=512 (vitest.config.ts): one sample of this model with a twin is
// planned at ~390 MB, more than a Cloudflare isolate's 128 MB (the default), where POST refuses it with a 422.
import { SELF } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { zipSync } from 'fflate';
import { WORKER_API_KEY } from './_env';
import { finished } from './_audit';

const BASE = 'https://qaudit.test';
const AUTH = { authorization: `Bearer ${WORKER_API_KEY}` };
const call = (path: string, init: RequestInit = {}) => SELF.fetch(`${BASE}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });
const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

describe('a published MobileNetV2 on the Workflow', () => {
  it('audits one photograph end to end inside workerd, with labels from the model', { timeout: 300_000 }, async () => {
    const files = inject('mobilenet');
    const form = new FormData();
    form.append('model', new File([files.json], 'model.json'));
    form.append('shard', new File([bytes(files.shard)], 'group1-shard1of1.bin'));
    const up = await call('/v1/models', { method: 'POST', body: form });
    expect(up.status).toBe(201);
    const model = await up.json() as { id: string; summary: { layers: unknown[]; inputShape: number[] } };
    expect(model.summary.inputShape).toEqual([224, 224, 3]);
    expect(model.summary.layers).toHaveLength(161);
    const zip = zipSync({ 'photos/coffee.jpg': bytes(files.image) });
    const data = await call('/v1/datasets', { method: 'POST', body: zip as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/zip' } });
    expect(data.status).toBe(201);
    const body = { model: model.id, data: (await data.json() as { id: string }).id, limit: 1, attacks: ['fgsm'], epsilons: [0.004], bits: [8], labels: 'model', sanity: false };
    const res = await call('/v1/audits', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    const { id } = await res.json() as { id: string };
    const job = await finished(`/v1/audits/${id}`);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    // Measured in the isolate that ran the chunks: the wasm heap holds at least the model and its 8-bit twin.
    const { memory, lastChunk } = job.progress as { memory: { peakBytes: number; plannedBytes: number; budgetBytes: number }; lastChunk: { memoryBytes: number } };
    expect(memory.budgetBytes).toBe(512 * 2 ** 20);
    expect(memory.plannedBytes).toBeLessThanOrEqual(memory.budgetBytes);
    expect(memory.peakBytes).toBeGreaterThan(2 * 4 * 2.2e6);
    expect(lastChunk.memoryBytes).toBeLessThanOrEqual(memory.peakBytes);
    const report = await (await call(`/v1/audits/${id}/report`)).json() as Record<string, any>;
    expect(report.model.inputShape).toEqual([224, 224, 3]);
    expect(report.settings.labels).toBe('model');
    expect(report.clean.find((r: { variant: string; defense: string }) => r.variant === 'original' && r.defense === 'none').accuracy).toBe(1);
    expect(report.rows.some((r: { attack: string }) => r.attack === 'fgsm')).toBe(true);
  });
});
