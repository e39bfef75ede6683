// The web front end end to end in Debian's headless Chromium: upload the example model, watch progress, open the report.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts/ui');
const dir = mkdtempSync(join(tmpdir(), 'qaudit-ui-'));

/** Installs Debian's chromium when missing; a failure fails the test (an e2e test that silently skips proves nothing). */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  try {
    execFileSync('sh', ['-c', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium'], { stdio: 'inherit', timeout: 200_000 });
  } catch (e) {
    throw new Error(`expected ${CHROMIUM} (apt-get install -y chromium), got an install failure: ${(e as Error).message}`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`expected ${CHROMIUM} after installing chromium, got no such file`);
}

/** The server's worker threads run dist/audit-worker.mjs: bin/qaudit.mjs rebuilds dist/ when a source is newer. */
function buildDist(): Promise<void> {
  return new Promise((ok, fail) => execFile(process.execPath, ['bin/qaudit.mjs', '--version'], { timeout: 120_000 },
    (err, _out, stderr) => (err ? fail(new Error(`expected dist/ to build, got: ${stderr}`)) : ok())));
}

describe('web front end in Chromium', () => {
  let server: RunningServer;
  let browser: BrowserContext;

  beforeAll(async () => {
    ensureChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
    await buildDist();
    server = await startServer({ PORT: '0', DATA_DIR: dir, SIGNING_KEY_FILE: join(dir, 'keys', 'signing-key.json'), MAX_SAMPLES: '64' });
    // A fresh profile in the temp dir (Playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 390, height: 844 }, // a phone-sized viewport
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('uploads the example model with the quick preset, shows progress to 100% across a reload and renders the report', { timeout: 240_000 }, async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => { if (/Content.Security.Policy|Refused/i.test(m.text())) violations.push(m.text()); });
    page.on('pageerror', (e) => violations.push(e.message));

    const res = await page.goto(`${server.url}/`);
    expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    // Every input is reachable by its label (what a screen reader announces).
    await page.getByLabel(/TensorFlow\.js Layers model/).setInputFiles(['examples/mnist-cnn-w4/model.json', 'examples/mnist-cnn-w4/weights.bin']);
    await page.getByRole('button', { name: 'Quick' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Quick' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByLabel('Samples evaluated').inputValue()).toBe('16');
    expect(await page.getByLabel('Epsilons (comma separated)').inputValue()).toBe('0.1, 0.3');
    await page.screenshot({ path: join(ARTIFACTS, '1-upload.png'), fullPage: true });

    await page.getByRole('button', { name: 'Start audit' }).click();
    await page.waitForURL(/\/audits\/[0-9a-f]{32}$/, { timeout: 60_000 });
    const auditUrl = page.url();
    const bar = page.getByRole('progressbar');
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 30_000 }).toMatch(/^\d+$/);
    await page.screenshot({ path: join(ARTIFACTS, '2-progress.png'), fullPage: true });

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
    await page.screenshot({ path: join(ARTIFACTS, '3-done.png'), fullPage: true });

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
    await page.screenshot({ path: join(ARTIFACTS, '4-report.png'), fullPage: true });

    expect(violations).toEqual([]);
    await page.close();
  });
});
