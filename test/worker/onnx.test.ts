// ONNX inside workerd: the importer (static protobuf decoder, no eval, no native code) behind POST /v1/models, and
// an audit of an int8 QDQ ONNX model run as a Workflow instance against a real S3 server.
import { SELF } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { WORKER_API_KEY } from './_env';
import { finished } from './_audit';

const BASE = 'https://qaudit.test';
const AUTH = { authorization: `Bearer ${WORKER_API_KEY}` };
const call = (path: string, init: RequestInit = {}) => SELF.fetch(`${BASE}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });
const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

async function upload(file: Uint8Array, name: string): Promise<Response> {
  const form = new FormData();
  form.append('model', new File([file as Uint8Array<ArrayBuffer>], name));
  return call('/v1/models', { method: 'POST', body: form });
}

async function sha256(b: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>))].map((x) => x.toString(16).padStart(2, '0')).join('');
}

describe('ONNX on Workers', () => {
  it('imports uploads in workerd: int8 QDQ weights and activation QDQ, ids by the file\'s sha256', async () => {
    const files = inject('onnx');
    for (const [b64, name] of [[files.resnetInt8, 'resnet.onnx'], [files.activationQdq, 'act.onnx']] as const) {
      const res = await upload(bytes(b64), name);
      expect(res.status).toBe(201);
      const info = await res.json() as { id: string; summary: { weights: { storedAs: string }[] } };
      expect(info.id).toBe(await sha256(bytes(b64)));
      expect(info.summary.weights.some((w) => w.storedAs === 'int8')).toBe(true);
    }
    const bad = await upload(bytes(files.resnetInt8).subarray(0, 300), 'cut.onnx');
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
  });

  it('audits an int8 QDQ ONNX model as a Workflow instance on the built-in MNIST', { timeout: 120_000 }, async () => {
    const { id: model } = await (await upload(bytes(inject('onnx').resnetInt8), 'model.onnx')).json() as { id: string };
    const body = { model, data: 'mnist', attacks: ['fgsm'], epsilons: [0.1], bits: [4], limit: 16, chunkSize: 16, sanity: false, examples: 0 };
    const res = await call('/v1/audits', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    const { id } = await res.json() as { id: string };
    const job = await finished(`/v1/audits/${id}`);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const report = await (await call(`/v1/audits/${id}/report`)).json() as { variants: { name: string }[]; clean: { variant: string; accuracy: number }[] };
    expect(report.variants.map((v) => v.name)).toEqual(['original', 'w4']);
    // The reference ResNet is a trained MNIST classifier: well above chance on the first 16 test samples.
    expect(report.clean.find((c) => c.variant === 'original')!.accuracy).toBeGreaterThan(0.8);
  });
});
