// The retraining pages in Chromium against the real API: the form starts a job, the live page shows phases, progress
// and a loss curve that grows, survives a reload, and links the report, the repaired model and both audits.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LossPoint } from '../../src/jobs/types';
import { shot, startHarness, watchedPage, type UiHarness } from './_browser';

const FLOAT = ['examples/mnist-cnn/model.json', 'examples/mnist-cnn/weights.bin'];
interface Job { status: string; phase: string; loss: LossPoint[]; repairedModel?: string; audits?: { before: string; after: string } }

/** The number of points of each polyline of the live loss chart. */
const chartPoints = (page: Page) => page.locator('#loss-chart polyline').evaluateAll((ls) => ls.map((l) => (l.getAttribute('points') ?? '').split(' ').filter(Boolean).length));

describe('retraining pages in Chromium', () => {
  let h: UiHarness;
  beforeAll(async () => { h = await startHarness(); }, 240_000);
  afterAll(async () => { await h?.close(); }, 120_000);

  it('starts a boundary job from the form and follows it to the report across a reload', { timeout: 300_000 }, async () => {
    const { page, violations } = await watchedPage(h.browser);
    const res = await page.goto(`${h.server.url}/retrain`);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.getByLabel(/Float TensorFlow\.js Layers model/).setInputFiles(FLOAT);
    await page.getByRole('button', { name: 'Quick' }).click();
    expect(await page.getByLabel('Method', { exact: true }).inputValue()).toBe('boundary');
    await page.getByLabel('Bit width of the repaired model').selectOption('4');
    expect(await page.getByLabel(/Mini-batches at most/).inputValue()).toBe('16');
    await page.getByLabel('Samples per mini-batch').fill('8'); // two steps of 8 mini-batches: a curve, quickly
    await page.getByLabel('PGD', { exact: true }).uncheck();
    await page.getByLabel('Samples evaluated').fill('4');
    await shot(page, 'retrain-1-form');
    await page.getByRole('button', { name: 'Start retraining' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/retrain-jobs\/[0-9a-f]{32}$/, { timeout: 60_000 });
    const url = page.url();
    const id = url.split('/').pop()!;
    const bar = page.getByRole('progressbar');
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 30_000 }).toMatch(/^\d+$/);

    // The curve only grows while the job runs, and a reload keeps the job (its id is in the URL).
    const seen: number[] = [];
    let reloaded = false;
    await expect.poll(async () => {
      seen.push(Math.max(0, ...(await chartPoints(page))));
      if (!reloaded && seen.at(-1)! > 0) {
        await shot(page, 'retrain-2-training');
        await page.reload();
        reloaded = true;
      }
      return page.locator('#status-line').textContent();
    }, { timeout: 240_000, interval: 500 }).toMatch(/^Status: (succeeded|failed)/);
    expect(page.url()).toBe(url);
    expect(await page.locator('#status-line').textContent()).toBe('Status: succeeded · phase: done');
    const job = await (await fetch(`${h.server.url}/v1/retrain-jobs/${id}`)).json() as Job;
    expect(job.loss.length).toBe(2);
    const growth = seen.filter((n) => n > 0);
    expect(growth).toEqual([...growth].sort((a, b) => a - b));
    expect(growth.at(-1)).toBe(job.loss.length);

    // Boundary retraining has all four parts; every line has one point per step.
    expect(await page.locator('#loss-chart polyline').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-part')))).toEqual(['loss', 'ce', 'boundary', 'distill']);
    expect(await chartPoints(page)).toEqual([2, 2, 2, 2]);
    expect(await page.locator('#loss-chart').getAttribute('aria-label')).toBe(`Loss curve: 2 steps, last loss ${job.loss[1]!.loss.toFixed(4)}`);
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    expect(await page.locator('.phases li[aria-current=step]').textContent()).toBe('Done');
    await shot(page, 'retrain-3-done');

    // The repaired model and both audits are linked; the downloads work.
    expect(await page.locator('#before-link').getAttribute('href')).toBe(`/audits/${job.audits!.before}`);
    expect(await page.locator('#after-link').getAttribute('href')).toBe(`/audits/${job.audits!.after}`);
    for (const link of ['#model-zip', '#model-json', '#weights-link']) {
      const got = await fetch(h.server.url + (await page.locator(link).getAttribute('href'))!);
      expect(got.status).toBe(200);
    }
    await page.getByRole('link', { name: 'Open the retraining report' }).click();
    await page.waitForURL(/\/report\.html$/);
    expect(await page.locator('figure[data-chart=loss] polyline').count()).toBe(4);
    expect(await page.locator('figure[data-attack=fgsm] polyline').count()).toBe(3);
    const box = await page.locator('figure[data-attack=fgsm] svg').first().boundingBox();
    expect(box && box.width > 0 && box.height > 0).toBe(true);
    await shot(page, 'retrain-4-report');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('sends the chosen input mapping as the job\'s defense, and none when None is chosen', { timeout: 60_000 }, async () => {
    const { page, violations } = await watchedPage(h.browser);
    const bodies: Record<string, unknown>[] = [];
    // The POST is answered here: what is checked is what the form sends (the API's handling is tested in test/routes).
    await page.route('**/v1/retrain-jobs', (route) => {
      bodies.push(JSON.parse(route.request().postData() ?? '{}') as Record<string, unknown>);
      return route.fulfill({ status: 400, contentType: 'application/problem+json', json: { status: 400, code: 'invalid_request', detail: 'stopped by the test' } });
    });
    await page.goto(`${h.server.url}/retrain`);
    await page.getByLabel(/Float TensorFlow\.js Layers model/).setInputFiles(FLOAT);
    await page.getByRole('button', { name: 'Quick' }).click();
    expect(await page.getByLabel(/Input mapping to train in/).inputValue()).toBe('none');
    for (const mapping of ['sine', 'none']) {
      await page.getByLabel(/Input mapping to train in/).selectOption(mapping);
      await page.getByRole('button', { name: 'Start retraining' }).click();
      await expect.poll(() => bodies.length, { timeout: 30_000 }).toBe(mapping === 'sine' ? 1 : 2);
    }
    expect(bodies[0]).toMatchObject({ method: 'boundary', defense: 'sine' });
    expect(bodies[1]).not.toHaveProperty('defense');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows a failed job as failed with its reason and the curve it reached, and stops polling', { timeout: 60_000 }, async () => {
    const { page, violations } = await watchedPage(h.browser);
    const id = 'f'.repeat(32);
    const loss = [1, 2, 3].map((step) => ({ step, batches: 8, samples: 64, loss: 2 / step, ce: 1 / step }));
    let reads = 0;
    // A job record as GET /v1/retrain-jobs/{id} shows a job whose training step failed.
    await page.route(`**/v1/retrain-jobs/${id}`, (route) => {
      reads++;
      return route.fulfill({ json: {
        id, status: 'failed', phase: 'training', progress: { done: 3, total: 10, current: 'train step 4/10' }, createdAt: new Date().toISOString(),
        request: { model: 'a'.repeat(64), method: 'qat', bits: 2, epochs: 1, seed: 0, data: 'mnist', settings: {}, audit: {}, evalData: 'mnist' },
        loss, error: { code: 'training_diverged', message: 'expected a finite loss, got NaN at step 4' }, links: { self: `/v1/retrain-jobs/${id}` },
      } });
    });
    await page.goto(`${h.server.url}/retrain-jobs/${id}`);
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toBe('Failed: training_diverged: expected a finite loss, got NaN at step 4');
    expect(await page.locator('#status-line').textContent()).toBe('Status: failed · phase: training');
    expect(await page.locator('.phases li[aria-current=step]').textContent()).toBe('Training');
    expect(await chartPoints(page)).toEqual([3, 3]);
    expect(await page.locator('#count').textContent()).toBe('3 / 10');
    expect(await page.locator('#done').isHidden()).toBe(true);
    expect(await page.locator('#model').isHidden()).toBe(true);
    const seen = reads;
    await page.waitForTimeout(2500);
    expect(reads).toBe(seen);
    await shot(page, 'retrain-5-failed');
    expect(violations).toEqual([]);
    await page.close();
  });
});
