// in-toto Statement v1 for audit reports, wrapped in a signed DSSE envelope.
import { signEnvelope, verifyDsse, type DsseEnvelope } from './dsse';
import type { PublicJwk, SigningKey } from './ed25519';
import { fromUtf8, sha256Hex, utf8 } from './encoding';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** Our predicate: the qaudit audit report, as served at /reports/{id}. Documented in docs/storage.md. */
export const AUDIT_PREDICATE_TYPE = 'https://qaudit.dev/audit-report/v1';

export interface Subject { name: string; digest: { sha256: string } }
export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: string;
  predicate: P;
}

export function createStatement<P>(subject: Subject[], predicate: P, predicateType = AUDIT_PREDICATE_TYPE): Statement<P> {
  if (subject.length === 0) throw new Error('expected at least one subject, got none');
  for (const s of subject) {
    if (!/^[0-9a-f]{64}$/.test(s.digest?.sha256 ?? '')) throw new Error(`expected subject ${s.name} to have a hex sha256, got ${s.digest?.sha256}`);
  }
  return { _type: STATEMENT_TYPE, subject, predicateType, predicate };
}

export async function signStatement(statement: Statement, key: SigningKey): Promise<DsseEnvelope> {
  return signEnvelope(IN_TOTO_PAYLOAD_TYPE, utf8(JSON.stringify(statement)), key);
}

export type VerifyResult =
  | { ok: true; statement: Statement; keyid: string }
  | { ok: false; reason: string };

function isStatement(v: unknown): v is Statement {
  const s = v as Statement;
  return typeof s === 'object' && s !== null && s._type === STATEMENT_TYPE && typeof s.predicateType === 'string' &&
    Array.isArray(s.subject) && s.subject.length > 0 &&
    s.subject.every((x) => typeof x?.name === 'string' && /^[0-9a-f]{64}$/.test(x?.digest?.sha256 ?? ''));
}

/** Checks payloadType, a trusted keyid, the signature, then the Statement's shape. jwks: a JWKS or its keys. */
export async function verifyEnvelope(envelope: unknown, jwks: { keys: PublicJwk[] } | PublicJwk[]): Promise<VerifyResult> {
  const keys = Array.isArray(jwks) ? jwks : jwks.keys;
  const check = await verifyDsse(envelope, keys, IN_TOTO_PAYLOAD_TYPE);
  if (!check.ok) return check;
  let statement: unknown;
  try {
    statement = JSON.parse(fromUtf8(check.payload));
  } catch {
    return { ok: false, reason: 'expected a JSON payload, got unparsable bytes' };
  }
  if (!isStatement(statement)) return { ok: false, reason: `expected an in-toto Statement v1 with sha256 subjects` };
  return { ok: true, statement, keyid: check.keyid };
}

/** True when bytes (e.g. the stored model) hash to the digest of the named subject. */
export async function subjectMatches(statement: Statement, name: string, bytes: Uint8Array): Promise<boolean> {
  const s = statement.subject.find((x) => x.name === name);
  return s !== undefined && s.digest.sha256 === (await sha256Hex(bytes));
}
