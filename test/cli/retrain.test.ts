// `qaudit retrain` as a user runs it: a real process, the shipped float example, a kill and a resume.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/backend';
import { loadLayersModel } from '../../src/engine/model';
import { loadWasm } from '../wasm';

const root = mkdtempSync(join(tmpdir(), 'qaudit-retrain-'));
const FLOAT = 'examples/mnist-cnn/model.json';
const args = (out: string, ...more: string[]) => ['bin/qaudit.mjs', 'retrain', '--model', FLOAT, '--method', 'qat', '--bits', '2', ...more, '--out', out, '--quiet'];
/** The stored checkpoints of the one job in DIR (DIR/job is the job's store: jobs/<id>/checkpoints/<step>.bin). */
const checkpoints = (dir: string): string[] => {
  const jobs = join(dir, 'job', 'jobs');
  if (!existsSync(jobs)) return [];
  return readdirSync(jobs).flatMap((id) => (existsSync(join(jobs, id, 'checkpoints')) ? readdirSync(join(jobs, id, 'checkpoints')) : []))
    .filter((f) => f.endsWith('.bin'));
};
const qaudit = (a: string[]) => spawnSync(process.execPath, a, { encoding: 'utf8', timeout: 170_000 });

describe('qaudit retrain', { timeout: 180_000 }, () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it('writes a 2-bit uint8 model, its loss per step and a checkpoint', () => {
    const out = join(root, 'qat');
    const r = qaudit(args(out, '--max-batches', '16'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/method qat, 2 bits, 2 steps .*final loss \d/);
    const losses = JSON.parse(readFileSync(join(out, 'loss.json'), 'utf8')) as number[];
    expect(losses).toHaveLength(2);
    expect(losses.every(Number.isFinite)).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const m = loadLayersModel(json, new Map([['weights.bin', new Uint8Array(readFileSync(join(out, 'weights.bin')))]]));
    try {
      const kernels = m.summary.weights.filter((w) => w.name.endsWith('/kernel'));
      expect(kernels.length).toBeGreaterThan(0);
      for (const k of kernels) {
        expect(k.storedAs, k.name).toBe('uint8');
        expect(k.impliedBits, k.name).not.toBeNull();
        expect(k.impliedBits!, k.name).toBeLessThanOrEqual(2);
      }
    } finally {
      m.dispose();
    }
    expect(checkpoints(out).length).toBeGreaterThan(0);
  });

  it('a job killed after a checkpoint and rerun ends with the same bytes as one that ran through', async () => {
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    const job = args(a, '--max-batches', '40');
    expect(qaudit(job).status).toBe(0);
    const jobB = args(b, '--max-batches', '40');
    const child = spawn(process.execPath, jobB, { stdio: 'ignore' });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    // Kill as soon as a checkpoint exists: the remaining steps take far longer than a poll.
    while (checkpoints(b).length === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(b, 'model.json'))).toBe(false);
    const r = qaudit(jobB);
    expect(r.status).toBe(0);
    const resumed = /after step (\d+) \((\d+)\/40 batches\)/.exec(r.stderr);
    expect(resumed, r.stderr).not.toBeNull();
    expect(Number(resumed![2])).toBeLessThan(40);
    expect(readFileSync(join(b, 'weights.bin')).equals(readFileSync(join(a, 'weights.bin')))).toBe(true);
    expect(readFileSync(join(b, 'model.json'), 'utf8')).toBe(readFileSync(join(a, 'model.json'), 'utf8'));
    expect(readFileSync(join(b, 'loss.json'), 'utf8')).toBe(readFileSync(join(a, 'loss.json'), 'utf8'));
  });

  it('refuses a checkpoint of other settings, and bad flags, naming the flag (exit 2)', () => {
    const out = join(root, 'qat');
    const other = qaudit(args(out, '--max-batches', '24'));
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/--out: .*checkpoints.*other config/);
    const method = qaudit(['bin/qaudit.mjs', 'retrain', '--model', FLOAT, '--method', 'foo', '--bits', '2', '--out', join(root, 'x')]);
    expect(method.status).toBe(2);
    expect(method.stderr).toMatch(/--method: .*'foo'/);
    const bits = qaudit(['bin/qaudit.mjs', 'retrain', '--model', FLOAT, '--method', 'qat', '--bits', '9', '--out', join(root, 'x')]);
    expect(bits.status).toBe(2);
    expect(bits.stderr).toMatch(/--bits: /);
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it('--defense staircase trains behind g, says so, and the model audited behind the same g has plain and adaptive rows', () => {
    const out = join(root, 'staircase');
    const r = qaudit(args(out, '--max-batches', '4', '--defense', 'staircase'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const spec = 'staircase:levels=4,sharpness=200';
    expect(r.stdout).toContain(`behind ${spec} (audit it with --defense ${spec})`);
    expect(JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')).config).toContain('"defense":{"levels":4,"mapping":"staircase","sharpness":200}');
    const report = join(out, 'report.json');
    const a = qaudit(['bin/qaudit.mjs', 'audit', '--model', join(out, 'model.json'), '--defense', spec, '--bits', 'none', '--limit', '16',
      '--attacks', 'fgsm,pgd,square', '--eps', '0.1', '--steps', '3', '--queries', '20', '--out', report, '--quiet']);
    expect(a.status, a.stderr).toBeLessThan(2);
    const rows = (JSON.parse(readFileSync(report, 'utf8')) as { rows: { attack: string; defense: string; adaptive: boolean }[] }).rows;
    const seen = new Set(rows.map((x) => `${x.attack}|${x.defense}|${x.adaptive}`));
    for (const k of ['pgd|staircase|false', 'pgd|staircase|true', 'fgsm|staircase|true', 'square|staircase|false']) expect(seen).toContain(k);
    const bad = qaudit(args(join(root, 'y'), '--defense', 'staircase:levels=1'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--defense: /);
  });
});
