// Constructing an S3Store on Node 20 must not print the AWS SDK's Node-version warning to users. Each case runs in
// a fresh child process, so no earlier test file can have set the SDK's once-per-process state or the variable.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function child(mode: 'store' | 'raw'): Promise<{ warnings: string[]; env: string | null; stderr: string }> {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  return new Promise((ok, fail) => execFile(process.execPath, ['scripts/run-ts.mjs', 'test/storage/_sdk-warning-child.ts', mode], { env, timeout: 60_000 },
    (err, stdout, stderr) => (err ? fail(new Error(`child failed: ${stderr}`)) : ok({ ...JSON.parse(stdout.trim().split('\n').at(-1)!), stderr }))));
}

const isVersionWarning = (t: string) => /NodeVersionSupport|Node\.js.*(version|support)|upgrade/i.test(t);

describe('S3Store and the SDK Node-version warning', () => {
  it('emits no Node-version warning when the user has not chosen, in a fresh process', { timeout: 60_000 }, async () => {
    const r = await child('store');
    expect(r.warnings.filter(isVersionWarning)).toEqual([]);
    expect(isVersionWarning(r.stderr)).toBe(false);
    expect(r.env).toBe('true');
  });

  it('(control) the bare SDK does warn on this Node, so the case above can fail', { timeout: 60_000 }, async () => {
    const major = Number(process.versions.node.split('.')[0]);
    const r = await child('raw');
    if (major >= 22) return expect(r.warnings.filter(isVersionWarning)).toEqual([]); // the SDK only warns below 22
    expect([...r.warnings, r.stderr].some(isVersionWarning)).toBe(true);
  });
});
