// `qaudit verify` in-process: envelopes signed here, keys from files and from a small HTTP server, model digests.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStatement, exportPublicJwk, exportPrivateJwk, fromBase64, generateSigningKey, signStatement, toBase64 } from '../../src/attest';
import type { PublicJwk, SigningKey } from '../../src/attest';
import { readModelFiles } from '../../src/cli/files';
import { main } from '../../src/cli/main';
import { checkAttestation, keysUrl } from '../../src/cli/verify';
import { modelDigest } from '../../src/storage/digest';

const dir = mkdtempSync(join(tmpdir(), 'qaudit-verify-'));
const W4 = 'examples/mnist-cnn-w4/model.json';
const FLOAT = 'examples/mnist-cnn/model.json';
const file = (name: string, value: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};

/** Runs `qaudit ...` in this process and collects what it printed. */
async function qaudit(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('qaudit verify', { timeout: 60_000 }, () => {
  let key: SigningKey;
  let jwk: PublicJwk;
  let digest: string;
  let envelope: string;
  let server: Server;
  let base: string;
  const predicate = { headline: [{ epsilon: 0.3, accuracy: 0.25, variant: 'w2' }] };

  beforeAll(async () => {
    key = await generateSigningKey({ extractable: true });
    jwk = await exportPublicJwk(key);
    const files = await readModelFiles(W4);
    digest = await modelDigest(files.jsonBytes, [...files.shards.values()]);
    envelope = file('envelope.json', await signStatement(createStatement([{ name: 'model', digest: { sha256: digest } }], predicate), key));
    server = createServer((req, res) => {
      const ok = req.url === '/v1/keys' || req.url === '/jwks.json';
      res.writeHead(ok ? 200 : 404, { 'content-type': ok ? 'application/json' : 'application/problem+json' });
      res.end(JSON.stringify(ok ? { keys: [jwk] } : { status: 404, code: 'not_found', detail: 'no such route' }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());

  it('accepts an envelope under a JWK set file, a single JWK file, a server base URL and a JWKS URL', async () => {
    for (const keys of [file('jwks.json', { keys: [jwk] }), file('jwk.json', jwk), base, `${base}/`, `${base}/jwks.json`]) {
      const r = await qaudit('verify', envelope, '--keys', keys);
      expect(r.code, `${keys}: ${r.err}`).toBe(0);
      expect(r.out).toContain(`keyid:         ${key.kid}`);
      expect(r.out).toContain('predicateType: https://qaudit.dev/audit-report/v1');
      expect(r.out).toContain(`model sha256:${digest}`);
      expect(r.out).toContain('25.0% worst-case accuracy (w2)');
    }
    // A private JWK file works too: only its public half is used.
    expect((await qaudit('verify', envelope, '--keys', file('private.json', await exportPrivateJwk(key)))).code).toBe(0);
  });

  it('checks the subject against a model on disk', async () => {
    const same = await qaudit('verify', envelope, '--keys', base, '--model', W4);
    expect(same.code).toBe(0);
    expect(same.out).toContain(`${W4} has digest sha256:${digest}`);
    const other = await qaudit('verify', envelope, '--keys', base, '--model', FLOAT);
    expect(other.code).toBe(1);
    expect(other.out).toMatch(/INVALID: expected a subject with the model's digest/);
  });

  it('refuses a tampered payload, a foreign key and a signature by an unknown keyid', async () => {
    const env = JSON.parse(readFileSync(envelope, 'utf8')) as { payload: string; signatures: { keyid: string; sig: string }[] };
    const payload = fromBase64(env.payload)!;
    // The claimed accuracy 0.25 becomes 0.35 (ASCII payload: byte index = character index).
    const at = new TextDecoder().decode(payload).indexOf('0.25') + 2;
    payload[at] = payload[at]! ^ 1;
    const tampered = await qaudit('verify', file('tampered.json', { ...env, payload: toBase64(payload) }), '--keys', base);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain('INVALID: expected a valid signature');

    const foreign = await exportPublicJwk(await generateSigningKey());
    const wrongKey = await qaudit('verify', envelope, '--keys', file('foreign.json', { keys: [foreign] }));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toContain('INVALID: expected a signature by a trusted keyid');

    // A keyid claiming the trusted key does not help a signature made by another key.
    const other = await signStatement(createStatement([{ name: 'model', digest: { sha256: digest } }], predicate), await generateSigningKey());
    const forged = { ...other, signatures: [{ keyid: key.kid, sig: other.signatures[0]!.sig }] };
    expect((await qaudit('verify', file('forged.json', forged), '--keys', base)).code).toBe(1);
  });

  it('answers bad input with 2 and an unreachable key server with 3', async () => {
    const cases: [string[], string][] = [
      [['verify', envelope], '--keys'],
      [['verify', '--keys', base], 'one envelope file'],
      [['verify', envelope, envelope, '--keys', base], 'one envelope file'],
      [['verify', join(dir, 'missing.json'), '--keys', base], 'missing.json'],
      [['verify', file('not-json.json', '{"payload'), '--keys', base], 'to be JSON'],
      [['verify', envelope, '--keys', file('rsa.json', { kty: 'RSA', n: 'x', e: 'AQAB' })], 'Ed25519'],
      [['verify', envelope, '--keys', `${base}/nowhere/keys`], '404 not_found: no such route'],
      [['verify', envelope, '--keys', 'ftp://example.com/keys'], '--keys: expected an http(s) URL'],
      [['verify', envelope, '--keys', base, '--frobnicate'], 'frobnicate'],
    ];
    for (const [args, message] of cases) {
      const r = await qaudit(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(message);
    }
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    const down = await qaudit('verify', envelope, '--keys', `http://127.0.0.1:${port}`);
    expect(down.code).toBe(3);
    expect(down.err).toContain('could not reach the server');
  });

  it('checkAttestation compares the signed predicate with a report; keysUrl completes a base URL', async () => {
    const env = JSON.parse(readFileSync(envelope, 'utf8'));
    expect((await checkAttestation(env, [jwk], { model: digest, predicate })).ok).toBe(true);
    const changed = await checkAttestation(env, [jwk], { predicate: { ...predicate, extra: 1 } });
    expect(changed).toEqual({ ok: false, reason: expect.stringContaining('different report') });
    expect(keysUrl('https://q.example.com')).toBe('https://q.example.com/v1/keys');
    expect(keysUrl('https://q.example.com/api/')).toBe('https://q.example.com/api/v1/keys');
    expect(keysUrl('https://q.example.com/v1/keys')).toBe('https://q.example.com/v1/keys');
  });
});
