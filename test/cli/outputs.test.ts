// `qaudit audit` with the CI outputs as a user runs it: SARIF, Markdown, model card, --bits none, gates refused
// before any work, and the --baseline/--max-drop regression gate with a signed baseline verified first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStatement, exportPublicJwk, generateSigningKey, signStatement } from '../../src/attest';
import { ReportSchema, type Report } from '../../src/engine/audit/report';
import { sarifValidator } from '../report/sarif-schema';

const dir = mkdtempSync(join(tmpdir(), 'qaudit-outputs-'));
const qaudit = (...args: string[]) => spawnSync(process.execPath, ['bin/qaudit.mjs', ...args], { encoding: 'utf8', timeout: 240_000 });
const W4 = 'examples/mnist-cnn-w4/model.json';
const RUN = ['audit', '--model', W4, '--limit', '16', '--attacks', 'fgsm', '--eps', '0.1', '--bits', 'none', '--quiet'];
const file = (name: string) => join(dir, name);

describe('qaudit audit outputs and gates', { timeout: 240_000 }, () => {
  let report: Report;
  beforeAll(() => {
    const r = qaudit(...RUN, '--out', file('r.json'), '--sarif', file('r.sarif'), '--markdown', file('r.md'), '--model-card', file('card.md'), '--fail-under', 'fgsm@0.1=0.99');
    expect(r.status, r.stderr).toBe(1);
    report = ReportSchema.parse(JSON.parse(readFileSync(file('r.json'), 'utf8')));
  }, 240_000);

  it('audits the upload alone with --bits none and writes SARIF, Markdown and a model card', () => {
    expect(report.variants.map((v) => v.name)).toEqual(['original']);
    const validate = sarifValidator();
    const sarif = JSON.parse(readFileSync(file('r.sarif'), 'utf8'));
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs[0].results.filter((x: { ruleId: string }) => x.ruleId === 'qaudit/threshold-missed')).toHaveLength(1);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(W4);
    expect(readFileSync(file('r.md'), 'utf8')).toMatch(/^## qaudit robustness: FAILED[\s\S]*\| original \| 4 \|/);
    const card = parse(readFileSync(file('card.md'), 'utf8').split('---\n')[1]!);
    expect(card['model-index'][0].name).toBe('mnist-cnn-w4');
  });

  it('refuses a gate on an attack or epsilon outside the run before any work', () => {
    const attack = qaudit(...RUN, '--fail-under', 'pgd@0.1=0.5');
    expect(attack.status).toBe(2);
    expect(attack.stderr).toContain('--fail-under: pgd is not in --attacks (fgsm)');
    const eps = qaudit(...RUN, '--baseline', file('r.json'), '--max-drop', 'worst@0.3=0.1');
    expect(eps.status).toBe(2);
    expect(eps.stderr).toContain('--max-drop: epsilon 0.3 of worst@0.3 is not in --eps (0.1)');
    expect(qaudit(...RUN, '--baseline', file('r.json')).stderr).toContain('--baseline: expected --max-drop');
    expect(attack.stdout + eps.stdout).toBe('');
  });

  it('passes against a signed baseline of the same numbers, after verifying it, and fails on a drop', async () => {
    const key = await generateSigningKey();
    const sign = async (r: Report) => signStatement(createStatement([{ name: 'model', digest: { sha256: 'a'.repeat(64) } }], r), key);
    writeFileSync(file('keys.json'), JSON.stringify({ keys: [await exportPublicJwk(key)] }));
    writeFileSync(file('base.intoto.json'), JSON.stringify(await sign(report)));
    const same = qaudit(...RUN, '--baseline', file('base.intoto.json'), '--keys', file('keys.json'), '--max-drop', 'fgsm@0.1=0,worst@0.1=0');
    expect(same.status, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/baseline: .*base\.intoto\.json \(attestation verified, keyid /);
    expect(same.stdout).toMatch(/fgsm@0\.1\s+\d+\.\d%\s+\d+\.\d%\s+0\.0\s+0\.0\s+ok/);

    const better: Report = { ...report, rows: report.rows.map((x) => ({ ...x, accuracy: 1 })), worstCase: report.worstCase.map((w) => ({ ...w, accuracy: 1 })) };
    writeFileSync(file('better.json'), JSON.stringify(better));
    const drop = qaudit(...RUN, '--baseline', file('better.json'), '--max-drop', 'fgsm@0.1=0.05');
    expect(drop.status).toBe(1);
    expect(drop.stdout).toContain('(not signed)');
    expect(drop.stdout).toMatch(/FAIL fgsm@0\.1: accuracy fell by [\d.]+ \(1 -> [\d.]+\), more than the allowed 0\.05/);

    const other = await generateSigningKey();
    writeFileSync(file('forged.intoto.json'), JSON.stringify(await signStatement(createStatement([{ name: 'model', digest: { sha256: 'a'.repeat(64) } }], better), other)));
    const forged = qaudit(...RUN, '--baseline', file('forged.intoto.json'), '--keys', file('keys.json'), '--max-drop', 'fgsm@0.1=0.05');
    expect(forged.status).toBe(3);
    expect(forged.stderr).toMatch(/--baseline: expected .* to be attested by a key from .*keys\.json, got: expected a signature by a trusted keyid/);
    expect(forged.stdout).not.toContain('model:');
  });
});
