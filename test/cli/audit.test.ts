// The qaudit command as a user runs it: a real process, the shipped example models, files on disk.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportSchema } from '../../src/engine/audit/report';
import { rowKey } from '../../src/engine/audit/samples';

const dir = mkdtempSync(join(tmpdir(), 'qaudit-cli-'));
const qaudit = (...args: string[]) => spawnSync(process.execPath, ['bin/qaudit.mjs', ...args], { encoding: 'utf8', timeout: 240_000 });
const W4 = 'examples/mnist-cnn-w4/model.json';
const FLOAT = 'examples/mnist-cnn/model.json';

// Each case starts a process that bundles (when stale) and starts the engine: allow minutes on a busy machine.
describe('qaudit audit', { timeout: 180_000 }, () => {
  it('audits the quantized example with every attack and the defense, writes JSON and JUnit, gates on thresholds', () => {
    const out = join(dir, 'report.json');
    const junit = join(dir, 'report.xml');
    const perSample = join(dir, 'samples.jsonl');
    const r = qaudit('audit', '--model', W4, '--surrogate', FLOAT, '--limit', '16', '--bits', '2', '--eps', '0.1,0.3',
      '--steps', '5', '--queries', '30', '--defense', 'nonlinear', '--out', out, '--junit', junit, '--per-sample', perSample,
      '--fail-under', 'clean=0.05,pgd@0.3=0.99', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL .*pgd.*0\.3/);
    expect(r.stdout).not.toMatch(/FAIL .*clean/);
    const report = ReportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(report.variants.map((v) => v.name)).toEqual(['original', 'w2']);
    const seen = new Set(report.rows.map((x) => `${x.attack}|${x.variant}|${x.defense}|${x.adaptive}`));
    for (const a of ['fgsm', 'pgd', 'apgd']) {
      for (const v of ['original', 'w2']) {
        for (const g of ['none|false', 'staircase|false', 'staircase|true']) expect(seen, `${a} ${v} ${g}`).toContain(`${a}|${v}|${g}`);
      }
    }
    expect(seen).toContain('square|w2|none|false');
    expect(seen).toContain('transfer|original|none|false');
    expect(report.rows.every((x) => x.accuracy >= 0 && x.accuracy <= 1 && x.samples === 16)).toBe(true);
    // Per-sample lines: every row (defended and adaptive ones included) and clean classifier, counting as the report.
    const lines = readFileSync(perSample, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { row: string; sample: number; correct: number });
    expect(lines).toHaveLength((report.rows.length + report.clean.length) * 16);
    for (const x of report.rows) {
      const mine = lines.filter((l) => l.row === rowKey(x));
      expect(mine.map((l) => l.sample), rowKey(x)).toEqual([...Array(16).keys()]);
      expect(mine.filter((l) => l.correct).length, rowKey(x)).toBe(x.correct);
    }
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/^<\?xml/);
    expect(xml).toContain('<testsuite');
    expect(xml).toMatch(/<failure/);
  });

  it('exits 0 when every threshold is met', () => {
    const r = qaudit('audit', '--model', FLOAT, '--limit', '16', '--attacks', 'fgsm', '--bits', '8', '--eps', '0.05', '--fail-under', 'clean=0.5', '--quiet');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('fgsm@0.05');
    expect(r.stdout).toMatch(/float\s+\d/);
  });

  it('refuses bad input with exit code 2 and names what is wrong', () => {
    const badEps = qaudit('audit', '--model', FLOAT, '--eps', 'abc');
    expect(badEps.status).toBe(2);
    expect(badEps.stderr).toContain('--eps');
    const badAttack = qaudit('audit', '--model', FLOAT, '--attacks', 'pgd,deepfool');
    expect(badAttack.status).toBe(2);
    expect(badAttack.stderr).toContain('--attacks');
    const missing = qaudit('audit', '--model', join(dir, 'nope.json'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nope.json');
    const unknown = qaudit('audit', '--model', FLOAT, '--frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('frobnicate');
  });
});
