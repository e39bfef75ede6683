// action.yml run as the GitHub runner runs a composite action (test/ci/runner.ts): the audit on the runner and on a
// service, the step summary, the step outputs and the files left for actions/upload-artifact.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node';
import { sarifValidator } from '../report/sarif-schema';
import { parseCommandFile, runAction } from './runner';

const root = process.cwd();
const base = mkdtempSync(join(tmpdir(), 'qaudit-action-'));

/** A user's repository: the 4-bit example model under model/. */
function workspace(name: string): string {
  const ws = join(base, name);
  mkdirSync(join(ws, 'model'), { recursive: true });
  for (const f of ['model.json', 'weights.bin']) copyFileSync(join(root, 'examples/mnist-cnn-w4', f), join(ws, 'model', f));
  return ws;
}

const SMALL = { model: 'model/model.json', attacks: 'fgsm', epsilons: '0.1', bits: 'none', limit: '16' };

describe('the GitHub Action', { timeout: 300_000 }, () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ PORT: '0', DATA_DIR: join(base, 'server'), SIGNING_KEY_FILE: join(base, 'server', 'key.json'), API_KEYS: 'action-test-key-0123456789' });
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    rmSync(base, { recursive: true, force: true });
  }, 120_000);

  it('parses the runner command files (name=value and heredocs)', () => {
    expect(parseCommandFile('a=1\nb<<EOF\nx\ny=z\nEOF\nc=\n')).toEqual({ a: '1', b: 'x\ny=z', c: '' });
  });

  it('audits on the runner: fails the step on a missed threshold, writes the summary, the outputs and every file', async () => {
    const ws = workspace('local');
    const r = await runAction({ actionPath: root, workspace: ws, inputs: { ...SMALL, 'fail-under': 'fgsm@0.1=0.99' } });
    expect(r.steps.map((s) => [s.name, s.outcome])).toEqual([['Set up Node 20', 'skipped'], ['Install qaudit', 'success'], ['Audit', 'failure']]);
    const audit = r.steps[2]!;
    expect(audit.exitCode, audit.stderr).toBe(1);
    expect(audit.stdout).toContain('FAIL fgsm@0.1=0.99');
    expect(r.outputs).toEqual({
      'exit-code': '1', passed: 'false', report: 'qaudit-report/report.json', sarif: 'qaudit-report/report.sarif',
      junit: 'qaudit-report/report.xml', html: 'qaudit-report/report.html',
    });
    expect(r.summary).toMatch(/^## qaudit robustness: FAILED/);
    expect(r.summary).toMatch(/`fgsm@0.1=0.99` \| ❌/);
    for (const f of ['report.json', 'report.html', 'report.xml', 'report.sarif', 'summary.md', 'model-card.md']) expect(existsSync(join(ws, 'qaudit-report', f)), f).toBe(true);
    const sarif = JSON.parse(readFileSync(join(ws, 'qaudit-report/report.sarif'), 'utf8'));
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    // Relative to the workspace, so code scanning places the alert on the repository's model file.
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('model/model.json');
    expect(readFileSync(join(ws, 'qaudit-report/report.html'), 'utf8')).toContain('Unsigned');
  });

  it('runs on a service with the API key in the environment only, and keeps the signed attestations', async () => {
    const ws = workspace('server');
    const key = 'action-test-key-0123456789';
    const r = await runAction({ actionPath: root, workspace: ws, inputs: { ...SMALL, server: server.url, 'api-key': key, 'fail-under': 'clean=0.01' } });
    const audit = r.steps[2]!;
    expect(audit.exitCode, audit.stderr + audit.stdout).toBe(0);
    expect(r.outputs.passed).toBe('true');
    expect(r.summary).toMatch(/^## qaudit robustness: passed[\s\S]*\[Full report\]\(http:\/\/127\.0\.0\.1:\d+\/v1\/audits\/[0-9a-f]{32}\/report\.html\)/);
    expect(audit.stdout).toMatch(/attestation verified/);
    expect(audit.stdout + audit.stderr).not.toContain(key);
    expect(r.envs[1]!.QAUDIT_API_KEY).toBe(key);
    for (const f of ['attestation.intoto.json', 'test-result.intoto.json', 'report.sarif', 'report.html']) expect(existsSync(join(ws, 'qaudit-report', f)), f).toBe(true);
    const statement = JSON.parse(Buffer.from(JSON.parse(readFileSync(join(ws, 'qaudit-report/test-result.intoto.json'), 'utf8')).payload, 'base64').toString());
    expect(statement.predicateType).toBe('https://in-toto.io/attestation/test-result/v0.1');
    expect(statement.predicate.result).toMatch(/PASSED|WARNED/);
    expect(statement.subject.map((s: { name: string }) => s.name)).toEqual(['model.json', 'weights.bin']);
  });

  it('passes inputs as data, not shell: a hostile input is a bad model path (exit 2), not a command', async () => {
    const ws = workspace('hostile');
    const r = await runAction({ actionPath: root, workspace: ws, inputs: { ...SMALL, model: 'model/$(touch pwned).json', attacks: 'fgsm; touch pwned2' } });
    expect(r.steps[2]!.exitCode).toBe(2);
    expect(existsSync(join(ws, 'pwned')) || existsSync(join(ws, 'pwned2'))).toBe(false);
    expect(r.summary).toContain('not run');
    expect(r.outputs['exit-code']).toBe('2');
    await expect(runAction({ actionPath: root, workspace: ws, inputs: { limit: '1' } })).rejects.toThrow('Input required and not supplied: model');
  });
});
