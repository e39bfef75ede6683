// Installable like other tools: `npm pack`, install the tarball into an empty folder, then `npx qaudit --help` and a
// small audit there, as a user without the repository would (the registry serves the dependencies).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'qaudit-pack-'));
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', timeout: 480_000, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });

describe('npm pack', { timeout: 600_000 }, () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('yields a tarball that installs into an empty folder and runs --help and an audit', () => {
    npm(['pack', '--pack-destination', dir, '--loglevel=error'], root);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toBe(`qaudit-${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}.tgz`);
    const listing = execFileSync('tar', ['tzf', join(dir, tarball)], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['package/bin/qaudit.mjs', 'package/dist/cli.mjs', 'package/dist/audit-worker.mjs', 'package/action.yml']));
    expect(listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);

    const app = join(dir, 'empty');
    mkdirSync(join(app, 'model'), { recursive: true });
    npm(['init', '-y'], app);
    npm(['install', '--prefer-offline', '--loglevel=error', join(dir, tarball)], app);
    const help = spawnSync('npx', ['--no-install', 'qaudit', '--help'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^qaudit \d+\.\d+\.\d+: audit the adversarial robustness/);

    for (const f of ['model.json', 'weights.bin']) copyFileSync(join(root, 'examples/mnist-cnn-w4', f), join(app, 'model', f));
    const audit = spawnSync('npx', ['--no-install', 'qaudit', 'audit', '--model', 'model/model.json', '--limit', '16', '--attacks', 'fgsm', '--eps', '0.1', '--bits', 'none', '--out', 'report.json', '--quiet'],
      { cwd: app, encoding: 'utf8', timeout: 240_000 });
    expect(audit.status, audit.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(app, 'report.json'), 'utf8')).data.samples).toBe(16);
  });
});
