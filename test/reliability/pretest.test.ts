// `npm test` provisions Chromium before the suite (scripts/provision-chromium.mjs as the pretest step); when it
// cannot be had, the step fails with exactly one clear line, so the run stops instead of timing out test by test.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const run = (env: Record<string, string>) => spawnSync(process.execPath, ['scripts/provision-chromium.mjs'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });

describe('Chromium provisioning (pretest)', () => {
  it('is the pretest step of npm test, so `npm ci && npm test` needs nothing else', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    // Chromium first (a missing browser stops the run at once), then dist/ built once for every test that runs it.
    expect(pkg.scripts.pretest).toBe('node scripts/provision-chromium.mjs && node scripts/build.mjs');
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/npm ci\s+npm test/);
  });

  it('fails with one clear line when Chromium is missing and may not be installed', () => {
    const r = run({ QAUDIT_CHROMIUM: '/nonexistent/chromium', QAUDIT_NO_INSTALL: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['qaudit pretest: expected Chromium at /nonexistent/chromium for the browser tests, got none, and QAUDIT_NO_INSTALL forbids installing it']);
  });

  it('fails with one clear line when the binary does not start', () => {
    const r = run({ QAUDIT_CHROMIUM: '/bin/false' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^qaudit pretest: expected Chromium at \/bin\/false .* a binary that does not start/);
  });

  it('passes silently when Chromium is there (after the pretest step ran)', () => {
    const r = run({});
    expect([r.status, r.stderr]).toEqual([0, '']);
  });
});
