// `qaudit retrain --server` interrupted and rerun: the rerun re-attaches to the job the first run started instead
// of starting an identical second one; --job ID follows a given job.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node';

const dir = mkdtempSync(join(tmpdir(), 'qaudit-attach-'));
const KEY = 'attach-test-key-0123456789';
const env = { ...process.env, QAUDIT_API_KEY: KEY };

function qaudit(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => execFile(process.execPath, ['bin/qaudit.mjs', ...args], { env, timeout: 240_000 },
    (err, stdout, stderr) => done({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr })));
}

describe('qaudit retrain --server, rerun', { timeout: 300_000 }, () => {
  let server: RunningServer;
  beforeAll(async () => {
    expect((await qaudit(['--version'])).status).toBe(0);
    server = await startServer({ PORT: '0', DATA_DIR: join(dir, 'server'), SIGNING_KEY_FILE: join(dir, 'server', 'key.json'), API_KEYS: KEY });
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('re-attaches to the running job after an interruption, then --job follows a given job', async () => {
    const out = join(dir, 'out');
    const args = ['retrain', '--server', server.url, '--model', 'examples/mnist-cnn/model.json', '--method', 'qat', '--bits', '2',
      '--max-batches', '16', '--audit-limit', '16', '--poll-interval', '0.2', '--quiet', '--out', out];
    // First run: interrupted (Ctrl-C) once its job is queued.
    const first = spawn(process.execPath, ['bin/qaudit.mjs', ...args], { env });
    let printed = '';
    const id = await new Promise<string>((ok, fail) => {
      first.stdout.on('data', (d) => {
        printed += d;
        const m = /retraining job ([0-9a-f]{32}) /.exec(printed);
        if (m) ok(m[1]!);
      });
      first.on('exit', () => fail(new Error(`exited before queueing: ${printed}`)));
    });
    first.kill('SIGINT');
    await new Promise((ok) => first.once('exit', ok));
    expect(JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')).id).toBe(id);

    const second = await qaudit(args);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain(`re-attaching to retraining job ${id}`);
    const list = await (await fetch(`${server.url}/v1/retrain-jobs`, { headers: { authorization: `Bearer ${KEY}` } })).json() as { items: { id: string }[] };
    expect(list.items.map((j) => j.id)).toEqual([id]);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    expect(existsSync(join(out, 'job.json'))).toBe(false);

    const byId = await qaudit(['retrain', '--server', server.url, '--job', id, '--model', 'examples/mnist-cnn/model.json', '--method', 'qat', '--bits', '2', '--quiet', '--out', join(dir, 'again')]);
    expect(byId.status, byId.stderr).toBe(0);
    expect(byId.stdout).toContain(`following retraining job ${id} (succeeded)`);
    expect(readFileSync(join(dir, 'again', 'weights.bin')).equals(readFileSync(join(out, 'weights.bin')))).toBe(true);
    expect((await qaudit(['retrain', '--job', id, '--model', 'examples/mnist-cnn/model.json', '--method', 'qat', '--bits', '2', '--out', join(dir, 'x')])).stderr).toContain('--job: expected it with --server');
  });
});
