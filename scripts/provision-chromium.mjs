// `npm test`'s pretest step: the browser tests need Debian's Chromium at /usr/bin/chromium. Installed here, before
// the suite starts, when missing (as root, with apt-get); when it cannot be had, one clear line and exit 1, so the
// run stops at once instead of timing out test by test.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.QAUDIT_CHROMIUM ?? '/usr/bin/chromium';

function fail(why) {
  console.error(`qaudit pretest: expected Chromium at ${CHROMIUM} for the browser tests, got ${why}`);
  process.exit(1);
}

if (!existsSync(CHROMIUM)) {
  if (process.env.QAUDIT_NO_INSTALL) fail('none, and QAUDIT_NO_INSTALL forbids installing it');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) fail('none, and not root to install it: run `sudo apt-get install -y chromium` once');
  const log = join(mkdtempSync(join(tmpdir(), 'qaudit-chromium-')), 'apt.log');
  console.log(`qaudit pretest: installing chromium with apt-get (log: ${log})`);
  try {
    // Another apt-get may hold the lock (a machine being provisioned): wait for it rather than fail.
    const apt = ['-q', '-o', 'DPkg::Lock::Timeout=600'];
    const out = (args) => execFileSync('apt-get', [...apt, ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
    writeFileSync(log, out(['update']));
    writeFileSync(log, out(['install', '-y', '--no-install-recommends', 'chromium']), { flag: 'a' });
  } catch (e) {
    const detail = String(e.stderr ?? e.message).trim().split('\n').filter(Boolean).at(-1) ?? 'an unknown error';
    fail(`an apt-get failure: ${detail.slice(0, 200)}`);
  }
  if (!existsSync(CHROMIUM)) fail('no such file after apt-get install chromium');
}
try {
  execFileSync(CHROMIUM, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
} catch (e) {
  fail(`a binary that does not start: ${String(e.stderr ?? e.message).trim().split('\n')[0]?.slice(0, 200)}`);
}
