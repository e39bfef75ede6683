// The README and docs/ci.md as a newcomer follows them: the first audit command passes as written, the curl flow
// writes outside examples/, and the CI docs install from a real repository with the API key kept off command lines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');
const ci = readFileSync('docs/ci.md', 'utf8');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/** The shell blocks of a Markdown text, continuation lines joined. */
const shellBlocks = (md: string) => [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ''));

describe('README', () => {
  it("first qaudit audit command exits 0 as written (its outputs moved to a temporary folder)", { timeout: 600_000 }, () => {
    const line = shellBlocks(readme).flatMap((b) => b.split('\n')).find((l) => l.startsWith('npx qaudit audit'))!;
    expect(line).toContain('--fail-under');
    const dir = mkdtempSync(join(tmpdir(), 'qaudit-readme-'));
    const args = line.replace(/^npx qaudit /, '').match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''))
      .map((a, i, all) => (all[i - 1] === '--out' || all[i - 1] === '--junit' ? join(dir, a) : a));
    const r = spawnSync(process.execPath, ['bin/qaudit.mjs', ...args, '--quiet'], { encoding: 'utf8', timeout: 590_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('FAIL');
  });

  it('runs the curl flow in a temporary folder, writing nothing into examples/', () => {
    const flow = shellBlocks(readme).find((b) => b.includes('/v1/audits/$AUDIT/report'))!;
    expect(flow.split('\n')[0]).toMatch(/^cd "\$\(mktemp -d\)"/);
    expect(flow).not.toMatch(/^cd examples/m);
    for (const b of shellBlocks(readme)) expect(b).not.toMatch(/^cd (\.\.\/)?(examples\/)?mnist-cnn/m);
  });

  it('shows npx from a git URL and from the tarball, and the package names its repository', () => {
    expect(pkg.repository).toBe('github:qaudit/qaudit');
    expect(readme).toContain('npx --yes github:qaudit/qaudit#v0.1.0 --help');
    expect(readme).toMatch(/npm pack && npm install --no-save \.\/qaudit-0\.1\.0\.tgz/);
    expect(pkg.engines.node).toBe('>=20.19 <23');
  });
});

describe('docs/ci.md', () => {
  it('uses the Action and a real repository, keeps the API key in the environment, and says what forks get', () => {
    expect(ci).not.toContain('YOUR-ORG');
    expect(ci).toContain('uses: qaudit/qaudit@v0.1.0');
    expect(ci).toContain('github:qaudit/qaudit#v0.1.0');
    expect(ci).not.toMatch(/--api-key "\$\{\{/);
    expect(ci).toMatch(/QAUDIT_API_KEY: \$\{\{ secrets\.QAUDIT_API_KEY \}\}/);
    expect(ci).toMatch(/\*\*Forks\*\*: .*no secrets/s);
    const inputs = [...readFileSync('action.yml', 'utf8').matchAll(/^ {2}([a-z-]+):\n {4}description/gm)].map((m) => m[1]);
    for (const name of inputs) expect(ci, `docs/ci.md documents input ${name}`).toContain(`\`${name}\``);
  });
});
