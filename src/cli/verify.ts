// `qaudit verify`: checks a signed audit report (DSSE envelope) against a server's JWKS or a key file, and a model.
import { readFile } from 'node:fs/promises';
import { verifyEnvelope } from '../attest';
import type { PublicJwk, Statement } from '../attest';
import { EngineError } from '../engine/errors';
import { modelDigest } from '../storage/digest';
import { readModelFiles } from './files';
import { parseFlags } from './suggest';
import { ApiClient, ApiError, NetworkError, exitCodeOf, parseJwks, serverBase } from './http';

export const VERIFY_HELP = `qaudit verify envelope.json --keys URL|FILE [--model model.json]

  envelope.json       the attestation: a DSSE envelope over an in-toto Statement (GET /v1/audits/{id}/attestation)
  --keys SOURCE       the trusted keys: a server (https://host, its /v1/keys is read), a JWKS URL, or a file
                      holding a JWK set or one JWK
  --model FILE        also check that the statement's subject is this model (model.json + shards, as uploaded)

  exit codes: 0 valid, 1 invalid (the reason is printed), 2 bad input, 3 keys URL unreachable`;

export type AttestationCheck = { ok: true; statement: Statement; keyid: string } | { ok: false; reason: string };

/**
 * The signature under a trusted key, then what the statement says: with `model` its subject digest must be the
 * model's; with `predicate` the signed predicate must be that report (same JSON, member order included).
 */
export async function checkAttestation(
  envelope: unknown, keys: PublicJwk[], expect: { model?: string; predicate?: unknown } = {},
): Promise<AttestationCheck> {
  const r = await verifyEnvelope(envelope, keys);
  if (!r.ok) return r;
  if (expect.model !== undefined && !r.statement.subject.some((s) => s.digest.sha256 === expect.model)) {
    const got = r.statement.subject.map((s) => `${s.name} sha256:${s.digest.sha256}`).join(', ');
    return { ok: false, reason: `expected a subject with the model's digest sha256:${expect.model}, got ${got}` };
  }
  if (expect.predicate !== undefined && JSON.stringify(r.statement.predicate) !== JSON.stringify(expect.predicate)) {
    return { ok: false, reason: 'expected the signed predicate to be the downloaded report, got a different report' };
  }
  return r;
}

/** A keys URL as given, or a server base URL completed with /v1/keys. */
export function keysUrl(source: string): string {
  const u = new URL(source);
  return /\/keys\/?$|\.json$/.test(u.pathname) ? u.href : `${u.href.replace(/\/+$/, '')}/v1/keys`;
}

export async function loadKeys(source: string): Promise<PublicJwk[]> {
  // Anything with a scheme is a URL (and refused unless http or https); the rest is a file path.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    const url = keysUrl(serverBase(source, '--keys'));
    return parseJwks(await new ApiClient({ server: url, timeoutMs: 60_000 }).json('GET', url), url);
  }
  return parseJwks(await readJsonFile(source, 'key file'), source);
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new EngineError('invalid_argument', `expected a readable ${what} at ${path}, got ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EngineError('invalid_argument', `expected ${path} to be JSON, got a parse error: ${(e as Error).message}`);
  }
}

function describe(s: Statement, keyid: string): string[] {
  const lines = [`  keyid:         ${keyid}`, `  predicateType: ${s.predicateType}`];
  for (const x of s.subject) lines.push(`  subject:       ${x.name} sha256:${x.digest.sha256}`);
  const headline = (s.predicate as { headline?: { epsilon: number; accuracy: number; variant: string }[] })?.headline;
  for (const h of Array.isArray(headline) ? headline : []) {
    lines.push(`  headline:      eps ${h.epsilon}: ${(100 * h.accuracy).toFixed(1)}% worst-case accuracy (${h.variant})`);
  }
  return lines;
}

export async function verifyCommand(argv: string[]): Promise<number> {
  const options = { keys: { type: 'string' }, model: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } as const;
  const { values: flags, positionals } = parseFlags(argv, options, true);
  if (flags.help) return (console.log(VERIFY_HELP), 0);
  if (positionals.length !== 1) throw new EngineError('invalid_argument', `expected one envelope file, got ${positionals.length} arguments; see qaudit verify --help`);
  if (!flags.keys) throw new EngineError('invalid_argument', '--keys: expected a server URL, a JWKS URL or a key file, got nothing');
  const envelope = await readJsonFile(positionals[0]!, 'envelope file');
  let keys: PublicJwk[];
  try {
    keys = await loadKeys(flags.keys);
  } catch (e) {
    if (!(e instanceof ApiError || e instanceof NetworkError)) throw e;
    console.error(`qaudit: --keys: ${e.message}`);
    return exitCodeOf(e);
  }
  let model: string | undefined;
  if (flags.model) {
    const files = await readModelFiles(flags.model);
    model = await modelDigest(files.jsonBytes, [...files.shards.values()]);
  }
  const r = await checkAttestation(envelope, keys, { model });
  if (!r.ok) {
    console.log(`attestation INVALID: ${r.reason}`);
    return 1;
  }
  console.log(`attestation valid: signed by a key from ${flags.keys}`);
  for (const l of describe(r.statement, r.keyid)) console.log(l);
  if (model) console.log(`  model:         ${flags.model} has digest sha256:${model}, the subject's`);
  return 0;
}
