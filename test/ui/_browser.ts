// Shared set-up of the browser tests: Debian's Chromium (provisioned by `npm test`'s pretest step), dist/ built once, a server per test
// file in a temp folder, a phone-sized persistent context, and a page that records CSP violations and script errors.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/node';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = resolve('test-artifacts/ui');

/**
 * Chromium is installed before the suite starts (scripts/provision-chromium.mjs, `npm test`'s pretest), never from a
 * test; a run that skipped it (plain `npx vitest`) fails here at once (an e2e test that silently skips proves nothing).
 */
export function ensureChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`expected ${CHROMIUM}, got none: run \`node scripts/provision-chromium.mjs\` (npm test does) or apt-get install -y chromium`);
}

const LOCK = join(tmpdir(), 'qaudit-ui-build.lock');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * The server's worker threads run dist/audit-worker.mjs: bin/qaudit.mjs rebuilds dist/ when a source is newer.
 * UI test files run in parallel, so the build holds a lock (mkdir is atomic): a second file waits, then finds dist/ fresh.
 */
export async function buildDist(): Promise<void> {
  for (let waited = 0; ; waited += 250) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (waited > 180_000) rmSync(LOCK, { recursive: true, force: true }); // a crashed run's stale lock
      await sleep(250);
    }
  }
  try {
    await new Promise<void>((ok, fail) => execFile(process.execPath, ['bin/qaudit.mjs', '--version'], { timeout: 120_000 },
      (err, _out, stderr) => (err ? fail(new Error(`expected dist/ to build, got: ${stderr}`)) : ok())));
  } finally {
    rmdirSync(LOCK);
  }
}

export interface UiHarness {
  dir: string;
  server: RunningServer;
  browser: BrowserContext;
  close(): Promise<void>;
}

/** A server (extra env such as API_KEYS on top of a temp DATA_DIR) and a headless Chromium with a fresh profile. */
export async function startHarness(env: Record<string, string> = {}): Promise<UiHarness> {
  ensureChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildDist();
  const dir = mkdtempSync(join(tmpdir(), 'qaudit-ui-'));
  const server = await startServer({ PORT: '0', DATA_DIR: dir, SIGNING_KEY_FILE: join(dir, 'keys', 'signing-key.json'), MAX_SAMPLES: '64', ...env });
  const browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 390, height: 844 }, // a phone-sized viewport
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    dir, server, browser,
    async close() {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new page whose CSP violations and uncaught script errors land in `violations` (a test expects it empty). */
export async function watchedPage(browser: BrowserContext): Promise<{ page: Page; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (m) => { if (/Content.Security.Policy|Refused/i.test(m.text())) violations.push(m.text()); });
  page.on('pageerror', (e) => violations.push(e.message));
  return { page, violations };
}

export const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
