// The upload form's other paths in Chromium: a zipped model with an .npz evaluation set, the API-key field, presets
// filled from the engine's defaults, and failures (data that does not fit the model; a job that fails) with their reasons.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinMnist } from '../../src/data/mnist.node';
import { datasetToNpz, take } from '../../src/engine/data/dataset';
import { SQUARE_DEFAULTS } from '../../src/engine/attacks/square';
import { AuditSettingsSchema, parseSettings } from '../../src/engine/audit/settings';
import { DEFAULT_RETRAIN_AUDIT, resolveRetrainConfig } from '../../src/engine/train/config';
import { shot, startHarness, watchedPage, type UiHarness } from './_browser';

const W4 = 'examples/mnist-cnn-w4';
const MODEL_FILES = [`${W4}/model.json`, `${W4}/weights.bin`];
const KEY = 'ui-test-key-0123456789abcdef';

/** The quickest audit the form can ask for: FGSM only, 4 samples. */
async function tinyAudit(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Quick' }).click();
  await page.getByLabel('PGD', { exact: true }).uncheck();
  await page.getByLabel('Samples evaluated').fill('4');
}

const status = (page: Page) => page.locator('#form-status').textContent();

/** Submits and waits for the audit page; a refusal fails with the form's own message instead of a bare timeout. */
async function submitToAudit(page: Page): Promise<void> {
  // From the keyboard: after a full-page screenshot, headless Chromium's mouse clicks can miss the button.
  await page.getByRole('button', { name: 'Start audit' }).focus();
  await page.keyboard.press('Enter');
  const where = async () => (/\/audits\/[0-9a-f]{32}$/.test(page.url())
    ? 'audit page' : `${page.url()}: ${await page.locator('#form-status').textContent({ timeout: 1000 }).catch((e) => String(e))}`);
  await expect.poll(where, { timeout: 60_000, interval: 250 }).toMatch(/^audit page$|: Error: /);
  expect(await where()).toBe('audit page');
  await page.waitForLoadState();
}

describe('upload form: zip and .npz', () => {
  let h: UiHarness;
  beforeAll(async () => { h = await startHarness(); }, 240_000);
  afterAll(async () => { await h?.close(); }, 120_000);

  it('audits a zipped model on an uploaded .npz evaluation set', { timeout: 180_000 }, async () => {
    const zip = join(h.dir, 'mnist-cnn-w4.zip');
    writeFileSync(zip, zipSync({ 'model.json': readFileSync(MODEL_FILES[0]!), 'weights.bin': readFileSync(MODEL_FILES[1]!) }));
    const npzBytes = datasetToNpz(take(loadBuiltinMnist().test, 8));
    const npz = join(h.dir, 'eval.npz');
    writeFileSync(npz, npzBytes);

    const { page, violations } = await watchedPage(h.browser);
    await page.goto(`${h.server.url}/`);
    await page.getByLabel(/TensorFlow\.js Layers model/).setInputFiles(zip);
    const file = page.getByLabel(/Evaluation set file/);
    expect(await file.isDisabled()).toBe(true);
    await page.getByLabel(/My own file/).check();
    expect(await file.isEnabled()).toBe(true);
    await file.setInputFiles(npz);
    await tinyAudit(page);
    await shot(page, 'forms-1-zip-npz');
    await submitToAudit(page);
    await expect.poll(() => page.locator('#status-line').textContent(), { timeout: 120_000, interval: 500 }).toBe('Status: succeeded');

    // The audit ran on exactly the uploaded bytes, with the form's settings.
    const id = page.url().split('/').pop()!;
    const audit = await (await fetch(`${h.server.url}/v1/audits/${id}`)).json() as { request: { data: string; settings: { attacks: string[]; limit: number } } };
    expect(audit.request.data).toBe(createHash('sha256').update(npzBytes).digest('hex'));
    expect(audit.request.settings).toMatchObject({ attacks: ['fgsm'], limit: 4 });
    await page.getByRole('link', { name: 'Open the report' }).click();
    await page.waitForURL(/\/report\.html$/);
    expect(await page.locator('#summary').textContent()).toContain('first 4 of 8 samples');
    await shot(page, 'forms-2-npz-report');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('audits an int8 QDQ ONNX model picked as one .onnx file, on the built-in MNIST set', { timeout: 180_000 }, async () => {
    const onnx = 'test/fixtures/models/resnet-mnist/onnx/model-int8.onnx';
    const { page, violations } = await watchedPage(h.browser);
    await page.goto(`${h.server.url}/`);
    await page.getByLabel(/TensorFlow\.js Layers model/).setInputFiles(onnx);
    await tinyAudit(page);
    await submitToAudit(page);
    await expect.poll(() => page.locator('#status-line').textContent(), { timeout: 120_000, interval: 500 }).toBe('Status: succeeded');
    // The audited model is the file itself (its sha256sum), audited as uploaded (`original`) and as its twin.
    const id = page.url().split('/').pop()!;
    const audit = await (await fetch(`${h.server.url}/v1/audits/${id}`)).json() as { request: { model: string } };
    expect(audit.request.model).toBe(createHash('sha256').update(readFileSync(onnx)).digest('hex'));
    const report = await (await fetch(`${h.server.url}/v1/audits/${id}/report`)).json() as { variants: { name: string }[]; model: { weights: { storedAs: string }[] } };
    expect(report.variants[0]!.name).toBe('original');
    expect(report.model.weights.some((w) => w.storedAs === 'int8')).toBe(true);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('audits on an uploaded zip of class folders of PNG images', { timeout: 180_000 }, async () => {
    // One 28x28 test digit per class, in folders 0..9 (labels = folder order), and a stray file the server skips.
    const test = loadBuiltinMnist().test;
    const files: Record<string, Uint8Array> = { 'digits/README.txt': new TextEncoder().encode('skipped') };
    for (let label = 0; label < 10; label++) {
      const i = test.y.indexOf(label);
      files[`digits/${label}/${i}.png`] = encodePng({ width: 28, height: 28, channels: 1, depth: 8, data: test.x.slice(i * 784, (i + 1) * 784) as Uint8Array });
    }
    const zipBytes = zipSync(files);
    const zip = join(h.dir, 'digits.zip');
    writeFileSync(zip, zipBytes);

    const { page, violations } = await watchedPage(h.browser);
    await page.goto(`${h.server.url}/`);
    await page.getByLabel(/TensorFlow\.js Layers model/).setInputFiles(MODEL_FILES);
    await page.getByLabel(/My own file/).check();
    await page.getByLabel(/Evaluation set file/).setInputFiles(zip);
    await tinyAudit(page);
    await shot(page, 'forms-images-1-form');
    await submitToAudit(page);
    await expect.poll(() => page.locator('#status-line').textContent(), { timeout: 120_000, interval: 500 }).toBe('Status: succeeded');
    const id = page.url().split('/').pop()!;
    const audit = await (await fetch(`${h.server.url}/v1/audits/${id}`)).json() as { request: { data: string } };
    expect(audit.request.data).toBe(createHash('sha256').update(zipBytes).digest('hex'));
    expect(await (await fetch(`${h.server.url}/v1/datasets/${audit.request.data}`)).json())
      .toMatchObject({ format: 'images', samples: 10, classes: 10, shape: [28, 28, 1], images: { skipped: { count: 1 } } });
    await page.getByRole('link', { name: 'Open the report' }).click();
    await page.waitForURL(/\/report\.html$/);
    expect(await page.locator('#summary').textContent()).toContain('first 4 of 10 samples');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('fills the presets from the engine\'s defaults, which the server renders into each form', { timeout: 60_000 }, async () => {
    const d = parseSettings({});
    const { page, violations } = await watchedPage(h.browser);
    const checked = (name: string) => page.locator(`input[name=${name}]:checked`).evaluateAll((bs) => bs.map((b) => (b as HTMLInputElement).value));
    const val = (label: string | RegExp) => page.getByLabel(label, { exact: typeof label === 'string' }).inputValue();
    await page.goto(`${h.server.url}/`);
    await page.getByRole('button', { name: 'Standard' }).click();
    expect(await val('Epsilons (comma separated)')).toBe(d.epsilons.join(', '));
    expect(await val('Samples evaluated')).toBe(String(d.limit));
    expect(await val(/Query budget/)).toBe(''); // empty: each attack's own budget
    expect(await val(/Attack iterations/)).toBe('');
    expect(await checked('attacks')).toEqual(d.attacks.filter((a) => a !== 'transfer'));
    await page.getByRole('button', { name: 'Thorough' }).click();
    expect(await checked('attacks')).toEqual(d.attacks);
    expect(await val(/Query budget/)).toBe(String(SQUARE_DEFAULTS.queriesThorough));

    const c = resolveRetrainConfig({ method: 'boundary', bits: 4 });
    const a = AuditSettingsSchema.parse(DEFAULT_RETRAIN_AUDIT);
    await page.goto(`${h.server.url}/retrain`);
    await page.getByRole('button', { name: 'Standard' }).click();
    expect([await val(/Epochs/), await val('Samples per mini-batch'), await val('Seed'), await val('Samples evaluated')])
      .toEqual([c.epochs, c.batchSize, c.seed, a.limit].map(String));
    expect(await val(/Mini-batches at most/)).toBe('');
    await page.getByRole('button', { name: 'Quick' }).click();
    expect(await checked('attacks')).toEqual(a.attacks);
    expect(await val('Epsilons (comma separated)')).toBe(a.epsilons.join(', '));
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows why data that does not fit the model is refused, and keeps the form usable', { timeout: 60_000 }, async () => {
    const small = { name: 's', x: new Uint8Array(4 * 8 * 8), y: Int32Array.of(0, 1, 2, 3), shape: [4, 8, 8, 1] as [number, number, number, number] };
    const npz = join(h.dir, 'small.npz');
    writeFileSync(npz, datasetToNpz(small));
    const { page, violations } = await watchedPage(h.browser);
    await page.goto(`${h.server.url}/`);
    await page.getByLabel(/TensorFlow\.js Layers model/).setInputFiles(MODEL_FILES);
    await page.getByLabel(/My own file/).check();
    await page.getByLabel(/Evaluation set file/).setInputFiles(npz);
    await tinyAudit(page);
    await page.getByRole('button', { name: 'Start audit' }).click();
    await expect.poll(() => status(page), { timeout: 30_000 }).toMatch(/^Error: /);
    expect(await status(page)).toMatch(/does not fit model .*expected x of shape \[N, 28, 28, 1\] for this model, got \[N, 8, 8, 1\]/);
    expect(page.url()).toBe(`${h.server.url}/`);
    expect(await page.getByRole('button', { name: 'Start audit' }).isEnabled()).toBe(true);
    await shot(page, 'forms-3-data-mismatch');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows a failed audit as failed, with its error code and reason, and stops polling', { timeout: 120_000 }, async () => {
    const { page, violations } = await watchedPage(h.browser);
    // The runner fails jobs only on faults a test cannot provoke on demand; the record is the API's real one, with
    // the status and error a failed job carries (src/jobs/types.ts JobRecord).
    let reads = 0;
    await page.route(/\/v1\/audits\/[0-9a-f]{32}$/, async (route) => {
      reads++;
      const real = await (await route.fetch()).json() as Record<string, unknown>;
      const failed = { ...real, status: 'failed', finishedAt: new Date().toISOString(), error: { code: 'invalid_data', message: 'expected labels in [0, 10) for this model, got 12 at index 3' } };
      await route.fulfill({ json: failed });
    });
    await page.goto(`${h.server.url}/`);
    await page.getByLabel(/TensorFlow\.js Layers model/).setInputFiles(MODEL_FILES);
    await tinyAudit(page);
    await page.getByRole('button', { name: 'Start audit' }).click();
    await page.waitForURL(/\/audits\/[0-9a-f]{32}$/, { timeout: 60_000 });
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toBe('invalid_data: expected labels in [0, 10) for this model, got 12 at index 3');
    expect(await alert.isVisible()).toBe(true);
    expect(await page.locator('#status-line').textContent()).toBe('Status: failed');
    expect(await page.locator('#done').isHidden()).toBe(true);
    const seen = reads;
    await page.waitForTimeout(2500);
    expect(reads).toBe(seen);
    await shot(page, 'forms-4-failed');
    expect(violations).toEqual([]);
    await page.close();
  });
});

describe('upload form on a server that requires an API key', () => {
  let h: UiHarness;
  beforeAll(async () => { h = await startHarness({ API_KEYS: KEY }); }, 240_000);
  afterAll(async () => { await h?.close(); }, 120_000);

  it('says a key is needed, refuses a wrong one, and runs the audit with the right one', { timeout: 180_000 }, async () => {
    const { page, violations } = await watchedPage(h.browser);
    await page.goto(`${h.server.url}/`);
    await page.getByLabel(/TensorFlow\.js Layers model/).setInputFiles(MODEL_FILES);
    await tinyAudit(page);
    await page.getByRole('button', { name: 'Start audit' }).click();
    await expect.poll(() => status(page), { timeout: 30_000 }).toMatch(/^Error: /);
    expect(await status(page)).toMatch(/expected an Authorization: Bearer <API key> header, got none/);
    await shot(page, 'forms-5-key-missing');

    // The key field sits in a closed disclosure: open it from the keyboard.
    await page.locator('summary').focus();
    await page.keyboard.press('Enter');
    const key = page.getByLabel('API key', { exact: true });
    await key.fill('not-the-key-0123456789');
    await page.getByRole('button', { name: 'Start audit' }).click();
    await expect.poll(() => status(page), { timeout: 30_000 }).toMatch(/expected a valid API key, got an unknown one/);

    await key.fill(KEY);
    await page.getByRole('button', { name: 'Start audit' }).click();
    await page.waitForURL(/\/audits\/[0-9a-f]{32}$/, { timeout: 60_000 });
    await expect.poll(() => page.locator('#status-line').textContent(), { timeout: 120_000, interval: 500 }).toBe('Status: succeeded');
    await shot(page, 'forms-6-key-accepted');
    expect(violations).toEqual([]);
    await page.close();
  });
});
