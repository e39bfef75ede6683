// `--baseline`: the earlier report a regression gate compares with: a report.json, a signed attestation file (its
// signature verified with --keys first), or an audit on a server (URL, or id with --server), verified with its keys.
import { readFile } from 'node:fs/promises';
import type { PublicJwk } from '../attest';
import { ReportSchema, type Report } from '../engine/audit/report';
import { EngineError } from '../engine/errors';
import { ApiClient, parseJwks, serverBase } from './http';
import { RemoteError } from './remote';
import { checkAttestation, loadKeys } from './verify';

export interface Baseline { report: Report; source: string; signedBy?: string }

const bad = (why: string) => new EngineError('invalid_argument', `--baseline: ${why}`);

function asReport(v: unknown, source: string): Report {
  const r = ReportSchema.safeParse(v);
  if (!r.success) throw bad(`expected a qaudit report or its signed attestation at ${source}, got something else (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`);
  return r.data;
}

async function verified(envelope: unknown, keys: PublicJwk[], source: string, keysFrom: string, predicate?: unknown): Promise<Baseline> {
  if (keys.length === 0) throw bad(`expected keys to verify the signed baseline ${source}, got none from ${keysFrom}`);
  const check = await checkAttestation(envelope, keys, predicate === undefined ? {} : { predicate });
  if (!check.ok) throw new RemoteError(`--baseline: expected ${source} to be attested by a key from ${keysFrom}, got: ${check.reason}`, 3);
  return { report: asReport(check.statement.predicate, source), source, signedBy: check.keyid };
}

/** An audit's base URL (…/v1/audits/{id}) from an id with --server, or from any of its report URLs. */
export function auditUrl(spec: string, server?: string): string | null {
  if (/^[0-9a-f]{32}$/.test(spec)) {
    if (!server) throw bad(`expected --server with an audit id, got the id ${spec} alone`);
    return `${serverBase(server)}/v1/audits/${spec}`;
  }
  if (!/^https?:\/\//i.test(spec)) return null;
  const base = serverBase(spec, '--baseline').replace(/\/(report(\.json|\.html|\.sarif|\.junit\.xml)?|attestation)$/, '');
  if (!/\/v1\/audits\/[0-9a-f]{32}$/.test(base)) throw bad(`expected an audit URL like https://host/v1/audits/{id}/report, got ${spec}`);
  return base;
}

export async function loadBaseline(spec: string, o: { server?: string; keys?: string; apiKey?: string }): Promise<Baseline> {
  const url = auditUrl(spec, o.server);
  if (url) {
    const client = new ApiClient({ server: url.replace(/\/v1\/audits\/[0-9a-f]{32}$/, ''), apiKey: o.apiKey });
    const report = await client.json<unknown>('GET', `${url}/report`);
    const keysFrom = o.keys ?? `${client.base}/v1/keys`;
    const keys = o.keys ? await loadKeys(o.keys) : parseJwks(await client.json('GET', '/v1/keys'), keysFrom);
    // A server that publishes no key signs nothing: its report is taken as it is, like a report file.
    if (keys.length === 0 && !o.keys) return { report: asReport(report, url), source: url };
    return verified(await client.json<unknown>('GET', `${url}/attestation`), keys, url, keysFrom, report);
  }
  let value: unknown;
  try {
    value = JSON.parse(await readFile(spec, 'utf8'));
  } catch (e) {
    throw bad(`expected a readable JSON file, a report URL or an audit id, got ${spec} (${(e as Error).message})`);
  }
  if (value && typeof value === 'object' && 'payloadType' in value) {
    if (!o.keys) throw bad(`${spec} is a signed attestation: pass --keys (a server URL or a key file) to verify it`);
    return verified(value, await loadKeys(o.keys), spec, o.keys);
  }
  return { report: asReport(value, spec), source: spec };
}
