// `qaudit submit` and `qaudit verify` as a user runs them: real processes against the real server started here.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPublicJwk, fromBase64, generateSigningKey, toBase64 } from '../../src/attest';
import { ReportSchema } from '../../src/engine/audit/report';
import { datasetToNpz, take } from '../../src/engine/data/dataset';
import { loadBuiltinMnist } from '../../src/data/mnist.node';
import { startServer, type RunningServer } from '../../src/node';

const dir = mkdtempSync(join(tmpdir(), 'qaudit-submit-'));
const W4 = 'examples/mnist-cnn-w4/model.json';
const FLOAT = 'examples/mnist-cnn/model.json';
const API_KEY = 'submit-test-key-0123456789';
const MAX_SAMPLES = 64;

interface Run { status: number | null; stdout: string; stderr: string }

/** Asynchronous on purpose: the server answering the child runs in this process's event loop. */
function qaudit(args: string[], env: Record<string, string> = { QAUDIT_API_KEY: API_KEY }): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ['bin/qaudit.mjs', ...args], { env: { ...process.env, QAUDIT_API_KEY: '', ...env }, timeout: 240_000 },
      (err, stdout, stderr) => done({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

// Tiny audits (16 samples, FGSM and 5-step PGD, one twin) so the whole file stays near a minute on 2 busy cores.
const SETTINGS = ['--limit', '16', '--attacks', 'fgsm,pgd', '--steps', '5', '--bits', '2', '--eps', '0.3'];

describe('qaudit submit', { timeout: 180_000 }, () => {
  let server: RunningServer;
  let url: string;
  const out = join(dir, 'report.json');
  const envelope = join(dir, 'envelope.json');

  beforeAll(async () => {
    // The CLI process rebuilds dist/ when stale; the server's worker threads run dist/audit-worker.mjs, so build first.
    expect((await qaudit(['--version'])).status).toBe(0);
    server = await startServer({
      PORT: '0', DATA_DIR: dir, SIGNING_KEY_FILE: join(dir, 'keys', 'signing-key.json'), API_KEYS: API_KEY, MAX_SAMPLES: String(MAX_SAMPLES),
    });
    url = server.url;
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('uploads, follows the audit, verifies the attestation, writes the report and gates like audit (exit 1)', async () => {
    const junit = join(dir, 'report.xml');
    const r = await qaudit(['submit', '--server', url, '--model', W4, ...SETTINGS, '--wait', '--poll-interval', '0.3',
      '--out', out, '--junit', junit, '--attestation', envelope, '--per-sample', join(dir, 'server.jsonl'), '--fail-under', 'clean=0.05,pgd@0.3=0.99']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^model [0-9a-f]{64} uploaded/m);
    expect(r.stdout).toMatch(new RegExp(`^audit [0-9a-f]{32} queued: ${url}/v1/audits/[0-9a-f]{32}$`, 'm'));
    expect(r.stdout).toMatch(/^attestation verified: keyid \S+, subject model sha256:[0-9a-f]{64}$/m);
    expect(r.stdout).toMatch(/FAIL .*pgd.*0\.3/);
    expect(r.stdout).not.toMatch(/FAIL .*clean/);
    expect(r.stderr).toMatch(/auditing 100% \((\d+)\/\1 chunks\)/);
    const report = ReportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(report.variants.map((v) => v.name)).toEqual(['original', 'w2']);
    expect(readFileSync(junit, 'utf8')).toMatch(/<failure/);

    // The same flags on this machine give the same numbers: one engine, one seed, one plan.
    const localOut = join(dir, 'local.json');
    const local = await qaudit(['audit', '--model', W4, ...SETTINGS, '--threads', '1', '--quiet', '--out', localOut, '--per-sample', join(dir, 'local.jsonl')]);
    expect(local.status, local.stderr).toBe(0);
    const mine = ReportSchema.parse(JSON.parse(readFileSync(localOut, 'utf8')));
    expect(report.rows).toEqual(mine.rows);
    expect(report.clean).toEqual(mine.clean);
    expect(report.settings).toEqual(mine.settings);
    // Per-sample lines: the server's download and the local file are the same bytes, one line per row and sample.
    const served = readFileSync(join(dir, 'server.jsonl'), 'utf8');
    expect(served.split('\n').length - 1).toBe((report.rows.length + report.clean.length) * report.data.samples);
    expect(served).toBe(readFileSync(join(dir, 'local.jsonl'), 'utf8'));
  });

  it('uploads an .npz given as --data, exits 0 when every threshold is met, and the JUnit report has no failure', async () => {
    const data = join(dir, 'first16.npz');
    writeFileSync(data, datasetToNpz(take(loadBuiltinMnist().test, 16)));
    const junit = join(dir, 'pass.xml');
    const passOut = join(dir, 'pass.json');
    const r = await qaudit(['submit', '--server', url, '--model', W4, '--data', data, '--limit', '16', '--attacks', 'fgsm', '--bits', '2',
      '--eps', '0.1', '--wait', '--poll-interval', '0.3', '--quiet', '--out', passOut, '--junit', junit, '--fail-under', 'clean=0.05']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^model [0-9a-f]{64} already on the server/m);
    expect(r.stdout).toMatch(/^data [0-9a-f]{64} uploaded/m);
    expect(r.stdout).toContain('fgsm@0.1');
    expect(r.stderr).toBe('');
    expect(readFileSync(junit, 'utf8')).not.toMatch(/<failure/);
    // The same 16 images as the built-in split's first 16: the same clean accuracy as the first run.
    const first = ReportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(ReportSchema.parse(JSON.parse(readFileSync(passOut, 'utf8'))).clean).toEqual(first.clean);
  });

  it('verifies against pinned keys when given: the server key passes, a foreign key fails with 3 and writes nothing', async () => {
    const pinned = join(dir, 'pinned.json');
    writeFileSync(pinned, await (await fetch(`${url}/v1/keys`)).text());
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, JSON.stringify(await exportPublicJwk(await generateSigningKey())));
    const args = ['submit', '--server', url, '--model', W4, '--limit', '16', '--attacks', 'fgsm', '--bits', '2', '--eps', '0.1', '--wait', '--poll-interval', '0.3', '--quiet'];
    const good = await qaudit([...args, '--keys', pinned]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toContain('attestation verified');
    const badOut = join(dir, 'untrusted.json');
    const bad = await qaudit([...args, '--keys', foreign, '--out', badOut]);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain(`expected a report attested by ${foreign}, got: expected a signature by a trusted keyid`);
    expect(existsSync(badOut)).toBe(false);
  });

  it('qaudit verify accepts the downloaded envelope under the server keys and refuses a tampered one or another model', async () => {
    const ok = await qaudit(['verify', envelope, '--keys', url, '--model', W4]);
    expect(ok.status, ok.stderr).toBe(0);
    const { keys } = await (await fetch(`${url}/v1/keys`)).json() as { keys: { kid: string }[] };
    expect(ok.stdout).toContain(`keyid:         ${keys[0]!.kid}`);

    const env = JSON.parse(readFileSync(envelope, 'utf8')) as { payload: string };
    const payload = fromBase64(env.payload)!;
    payload[payload.length - 2] = payload[payload.length - 2]! ^ 1;
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...env, payload: toBase64(payload) }));
    const bad = await qaudit(['verify', tampered, '--keys', `${url}/v1/keys`]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('INVALID');

    const other = await qaudit(['verify', envelope, '--keys', url, '--model', FLOAT]);
    expect(other.status).toBe(1);
    expect(other.stdout).toContain("expected a subject with the model's digest");
  });

  it('answers a refused request with 2 and the problem detail, an unreachable server with 3', async () => {
    const port = await closedPort();
    const down = await qaudit(['submit', '--server', `http://127.0.0.1:${port}`, '--model', W4, '--wait']);
    expect(down.status).toBe(3);
    expect(down.stderr).toContain(`POST http://127.0.0.1:${port}/v1/models: could not reach the server`);

    const tooMany = await qaudit(['submit', '--server', url, '--model', W4, '--limit', String(MAX_SAMPLES + 16), '--wait']);
    expect(tooMany.status).toBe(2);
    expect(tooMany.stderr).toContain(`422 limit_exceeded: expected limit <= ${MAX_SAMPLES} samples, got ${MAX_SAMPLES + 16} (body.limit)`);

    const noKey = await qaudit(['submit', '--server', url, '--model', W4], {});
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toMatch(/401 unauthorized: .*Bearer.*pass --api-key or set QAUDIT_API_KEY/);
    const wrongKey = await qaudit(['submit', '--server', url, '--model', W4, '--api-key', 'not-the-key-0123456789'], {});
    expect(wrongKey.status).toBe(2);

    const broken = join(dir, 'broken', 'model.json');
    mkdirSync(join(dir, 'broken'), { recursive: true });
    writeFileSync(broken, JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Nope' }, weightsManifest: [] }));
    const badModel = await qaudit(['submit', '--server', url, '--model', broken]);
    expect(badModel.status).toBe(2);
    expect(badModel.stderr).toMatch(/POST .*\/v1\/models: the server answered 422 invalid_model/);
  });

  it('refuses options the server cannot honour before sending anything (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['--surrogate', FLOAT], '--surrogate'],
      [['--threads', '2'], '--threads'],
      [['--fail-under', 'clean=0.5'], '--fail-under: expected --wait'],
      [['--eps', 'abc'], '--eps'],
      [['--server', 'not a url'], '--server: expected an http(s) URL'],
    ];
    for (const [extra, message] of cases) {
      const r = await qaudit(['submit', '--server', url, '--model', W4, ...extra]);
      expect(r.status, extra.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it('without --wait exits 0 once the audit is queued and prints its links', async () => {
    const r = await qaudit(['submit', '--server', url, '--model', W4, '--limit', '16', '--attacks', 'fgsm', '--bits', '2', '--eps', '0.1', '--seed', '1']);
    expect(r.status, r.stderr).toBe(0);
    const id = /^audit ([0-9a-f]{32}) queued/m.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    expect(r.stdout).toContain(`report: ${url}/v1/audits/${id}/report.html`);
    const audit = await (await fetch(`${url}/v1/audits/${id}`)).json() as { status: string; request: { settings: { seed: number } } };
    expect(['queued', 'running', 'succeeded']).toContain(audit.status);
    expect(audit.request.settings.seed).toBe(1);
  });

  it('retrain --server: trains on the server, downloads the repaired model and the verified report, byte-identical to a local run', async () => {
    const job = ['--model', FLOAT, '--method', 'qat', '--bits', '2', '--max-batches', '12', '--batch-size', '16', '--seed', '3'];
    const remote = join(dir, 'retrain-remote');
    const r = await qaudit(['retrain', ...job, '--server', url, '--audit-limit', '16', '--poll-interval', '0.3', '--out', remote]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^retraining job [0-9a-f]{32} queued: ${url}/retrain-jobs/[0-9a-f]{32}$`, 'm'));
    expect(r.stdout).toMatch(/^attestation verified: keyid \S+, subjects original and repaired model$/m);
    expect(r.stdout).toMatch(/^retrained: clean accuracy float [\d.]+%, plain [\d.]+%, repaired [\d.]+% -> /m);
    expect(r.stderr).toMatch(/retraining 100% \((\d+)\/\1 steps\)/);
    expect(r.stderr).toMatch(/auditing 100% \((\d+)\/\1 chunks\)/);
    const report = JSON.parse(readFileSync(join(remote, 'report.json'), 'utf8'));
    expect(report.schema).toBe('qaudit.retrain-report/v1');
    expect(JSON.parse(readFileSync(join(remote, 'loss.json'), 'utf8'))).toHaveLength(2);
    // The attestation verifies offline against the server's key and names the downloaded model.
    const v = await qaudit(['verify', join(remote, 'attestation.json'), '--keys', url, '--model', join(remote, 'model.json')]);
    expect(v.status, v.stderr).toBe(0);

    const local = join(dir, 'retrain-local');
    const l = await qaudit(['retrain', ...job, '--quiet', '--out', local]);
    expect(l.status, l.stderr).toBe(0);
    expect(readFileSync(join(remote, 'weights.bin')).equals(readFileSync(join(local, 'weights.bin')))).toBe(true);
    // One canonical model.json: the same weights get the same model id locally and on the server.
    expect(readFileSync(join(remote, 'model.json')).equals(readFileSync(join(local, 'model.json')))).toBe(true);
    expect(JSON.parse(readFileSync(join(remote, 'loss.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(local, 'loss.json'), 'utf8')));
  });

  it('retrain: server-only flags without --server are refused (exit 2)', async () => {
    const r = await qaudit(['retrain', '--model', FLOAT, '--method', 'qat', '--bits', '2', '--out', join(dir, 'x'), '--audit-limit', '4']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--audit-limit: expected it with --server/);
  });
});
