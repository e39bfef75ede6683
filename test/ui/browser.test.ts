// The web front end end to end in Debian's headless Chromium: upload the example model, watch progress, open the report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shot, startHarness, watchedPage, type UiHarness } from './_browser';

describe('web front end in Chromium', () => {
  let h: UiHarness;
  beforeAll(async () => { h = await startHarness(); }, 240_000);
  afterAll(async () => { await h?.close(); }, 120_000);

  it('uploads the example model with the quick preset, shows progress to 100% across a reload and renders the report', { timeout: 240_000 }, async () => {
    const { page, violations } = await watchedPage(h.browser);
    const res = await page.goto(`${h.server.url}/`);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    // Every input is reachable by its label (what a screen reader announces).
    await page.getByLabel(/TensorFlow\.js Layers model/).setInputFiles(['examples/mnist-cnn-w4/model.json', 'examples/mnist-cnn-w4/weights.bin']);
    await page.getByRole('button', { name: 'Quick' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Quick' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByLabel('Samples evaluated').inputValue()).toBe('16');
    expect(await page.getByLabel('Epsilons (comma separated)').inputValue()).toBe('0.1, 0.3');
    await shot(page, '1-upload');

    await page.getByRole('button', { name: 'Start audit' }).click();
    await page.waitForURL(/\/audits\/[0-9a-f]{32}$/, { timeout: 60_000 });
    const auditUrl = page.url();
    const bar = page.getByRole('progressbar');
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 30_000 }).toMatch(/^\d+$/);
    await shot(page, '2-progress');

    // A reload keeps the audit (its id is in the URL) and the bar.
    await page.reload();
    expect(page.url()).toBe(auditUrl);
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 120_000, interval: 500 }).toBe('100');
    await expect.poll(() => page.locator('#status-line').textContent()).toBe('Status: succeeded');
    expect(await page.locator('#chunks').textContent()).toMatch(/^(\d+) \/ \1$/);
    // The visible fill matches the announced value once its width transition has ended.
    const fillRatio = async () => {
      const [fill, whole] = await Promise.all([page.locator('#bar-fill').boundingBox(), bar.boundingBox()]);
      return fill && whole ? fill.width / whole.width : 0;
    };
    await expect.poll(fillRatio, { timeout: 10_000 }).toBeGreaterThan(0.97);
    await shot(page, '3-done');

    await page.reload();
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 15_000 }).toBe('100');
    const link = page.getByRole('link', { name: 'Open the report' });
    expect(await link.isVisible()).toBe(true);

    await link.click();
    await page.waitForURL(/\/report\.html$/);
    const curve = page.locator('svg polyline').first();
    expect(await curve.count()).toBe(1);
    const curveBox = await curve.boundingBox();
    expect(curveBox && curveBox.width > 0).toBe(true);
    const images = page.locator('.examples svg');
    expect(await images.count()).toBeGreaterThan(0);
    const imgBox = await images.first().boundingBox();
    expect(imgBox && imgBox.width > 0 && imgBox.height > 0).toBe(true);
    await shot(page, '4-report');

    expect(violations).toEqual([]);
    await page.close();
  });
});
