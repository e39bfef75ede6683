// A published MobileNetV2 (nsfwjs' uint8 tfjs Layers model, 224x224x3, 161 layers) audited end to end on a folder of
// photographs without labels: the qaudit command as a process, and the Node service over HTTP.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ReportSchema } from '../../src/engine/audit/report';
import { startServer } from '../../src/node';

const MODEL = 'test/fixtures/models/nsfwjs-mobilenet-v2';
const IMAGES = 'test/fixtures/images/natural';
/** One sample, FGSM only, no twin: the point is the model and the data path, not the numbers. */
const ARGS = ['--limit', '1', '--attacks', 'fgsm', '--eps', '0.004', '--bits', '8', '--labels', 'model'];

describe('a published MobileNetV2 on natural images', { timeout: 600_000 }, () => {
  it('audits from the command line with labels from the model', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'qaudit-mnv2-')), 'report.json');
    const r = spawnSync(process.execPath, ['bin/qaudit.mjs', 'audit', '--model', `${MODEL}/model.json`, '--data', IMAGES, ...ARGS, '--threads', '1', '--out', out, '--quiet'], { encoding: 'utf8', timeout: 590_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = ReportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(report.model.inputShape).toEqual([224, 224, 3]);
    expect(report.model.layers).toHaveLength(161);
    expect(report.model.removedSoftmax).toBe(true);
    expect(report.settings.labels).toBe('model');
    // Labels are the upload's own predictions: its clean accuracy is 1 by construction.
    const clean = report.clean.find((row) => row.variant === 'original' && row.defense === 'none');
    expect(clean?.accuracy).toBe(1);
    expect(report.rows.some((row) => row.attack === 'fgsm')).toBe(true);
  });

  it('audits through the Node service: model files and a zip of the image folder over HTTP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qaudit-mnv2-node-'));
    const server = await startServer({ PORT: '0', DATA_DIR: dir, SIGNING_KEY_FILE: join(dir, 'key.json') });
    try {
      const form = new FormData();
      form.append('model', new File([readFileSync(`${MODEL}/model.json`)], 'model.json'));
      form.append('shard', new File([readFileSync(`${MODEL}/group1-shard1of1.bin`)], 'group1-shard1of1.bin'));
      const up = await fetch(`${server.url}/v1/models`, { method: 'POST', body: form });
      expect(up.status).toBe(201);
      const model = (await up.json()) as { id: string; summary: { macs: number; activationBytes: number; layers: unknown[] } };
      expect(model.summary.layers).toHaveLength(161);
      expect(model.summary.macs).toBeGreaterThan(2e8);
      const files: Record<string, Uint8Array> = {};
      for (const f of readdirSync(`${IMAGES}/unlabeled`)) files[`unlabeled/${f}`] = new Uint8Array(readFileSync(`${IMAGES}/unlabeled/${f}`));
      const data = await fetch(`${server.url}/v1/datasets`, { method: 'POST', body: zipSync(files) as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/zip' } });
      expect(data.status).toBe(201);
      const { id: dataId } = (await data.json()) as { id: string };
      const body = { model: model.id, data: dataId, limit: 1, attacks: ['fgsm'], epsilons: [0.004], bits: [8], labels: 'model' };
      const res = await fetch(`${server.url}/v1/audits`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      let job: { status: string; error?: unknown } = { status: 'queued' };
      for (let i = 0; i < 1200 && !['succeeded', 'failed', 'canceled'].includes(job.status); i++) {
        await new Promise((r) => setTimeout(r, 500));
        // A poll on a keep-alive socket the server just closed can be reset (undici): a poll is a read, retry it.
        job = await fetch(`${server.url}/v1/audits/${id}`).then((r) => r.json() as Promise<typeof job>, () => job);
      }
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      const report = ReportSchema.parse(await (await fetch(`${server.url}/v1/audits/${id}/report`)).json());
      expect(report.model.inputShape).toEqual([224, 224, 3]);
      expect(report.settings.microBatch).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
