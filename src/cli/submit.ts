// `qaudit submit`: the same audit on a qaudit server: upload, start, follow progress, fetch the signed report, gate.
import { Readable } from 'node:stream';
import type { ReadableStream as WebStream } from 'node:stream/web';
import { writeFile } from 'node:fs/promises';
import type { Report } from '../engine/audit';
import { EngineError } from '../engine/errors';
import { modelDigest } from '../storage/digest';
import { AUDIT_OPTIONS, settingsFromFlags } from './args';
import { AUDIT_HELP } from './audit';
import { readModelFiles, type ModelFiles } from './files';
import { sha256Hex, type PublicJwk } from '../attest';
import { parseGates, prepareBaseline, writeJsonLines, writeOutputs } from './outputs';
import { parseFlags } from './suggest';
import { ApiClient, parseJwks } from './http';
import { RemoteError, checkSucceeded, follow, resolveData, seconds, uploadModel, withRemoteErrors } from './remote';
import { formatSummary } from './summary';
import { checkAttestation, loadKeys } from './verify';

export const SUBMIT_OPTIONS = {
  ...AUDIT_OPTIONS,
  server: { type: 'string' },
  'api-key': { type: 'string' },
  wait: { type: 'boolean', default: false },
  attestation: { type: 'string' },
  'test-result': { type: 'string' },
  'poll-interval': { type: 'string', default: '2' },
  timeout: { type: 'string', default: '3600' },
} as const;

// The settings and output options read as in `qaudit audit`; the model, data and run-time lines differ.
const SHARED_HELP = AUDIT_HELP.split('\n').slice(2).filter((l) => !/^\s+--(model|data|surrogate|threads|keys) /.test(l)).join('\n');

export const SUBMIT_HELP = `qaudit submit --server URL --model path/to/model.json [options] [--wait]

  --server URL        the qaudit service, e.g. https://qaudit.example.com
  --api-key KEY       API key for uploads and starting audits (default and better: env QAUDIT_API_KEY, which
                      stays out of process listings and shell history)
  --model FILE        tfjs Layers model.json; its weight shards are uploaded from the same folder
  --data SPEC         mnist (the server's built-in test split, default), an .npz file or a folder (or .zip)
                      of class folders of images (uploaded), or a data set id
  --wait              follow the audit, then fetch the report, verify its attestation and gate on --fail-under
  --attestation FILE  with --wait: write the signed attestation (DSSE envelope; see qaudit verify)
  --test-result FILE  with --wait: write the server's signed in-toto test-result v0.1 statement (DSSE envelope),
                      after checking its signature and that its subjects are this model's files
  --keys URL|FILE     with --wait: trust only these keys (a pinned JWKS file), not the server's /v1/keys; they also
                      verify a signed --baseline
  --poll-interval S   seconds between status requests (default 2)
  --timeout S         give up waiting after S seconds (default 3600; the audit continues on the server)
${SHARED_HELP}

  without --wait the command exits 0 once the audit is queued and prints its links`;

interface AuditView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
  progress: { done: number; total: number; current?: string; etaSeconds?: number };
  error?: { code: string; message: string };
  links: { self: string; report: string; reportHtml: string; junit: string; samples?: string; attestation: string };
}

type SubmitFlags = ReturnType<typeof parseSubmitFlags>;

function parseSubmitFlags(argv: string[]) {
  return parseFlags(argv, SUBMIT_OPTIONS).values;
}

/** Everything that can be refused before talking to the server. */
function checkFlags(f: SubmitFlags) {
  if (!f.server) throw new EngineError('invalid_argument', '--server: expected the URL of a qaudit service, got nothing');
  if (!f.model) throw new EngineError('invalid_argument', '--model: expected the path of a model.json, got nothing');
  // The API takes neither: the transfer attack's source and the thread count are the server's business.
  if (f.surrogate) throw new EngineError('invalid_argument', '--surrogate: expected no surrogate with submit (the server API takes none), got one; use qaudit audit');
  if (f.threads) throw new EngineError('invalid_argument', '--threads: expected no thread count with submit (the server decides), got one');
  // Outputs and gates need the finished report: without --wait they would silently pass.
  const needWait = (['out', 'junit', 'html', 'sarif', 'markdown', 'model-card', 'per-sample', 'attestation', 'test-result', 'keys', 'fail-under', 'baseline', 'max-drop'] as const).find((k) => f[k] !== undefined);
  if (needWait && !f.wait) throw new EngineError('invalid_argument', `--${needWait}: expected --wait with it (the report exists once the audit finishes), got no --wait`);
  if (f.data === 'mnist-train') throw new EngineError('invalid_argument', "--data: expected mnist (the server's test split), an .npz file or a data set id, got 'mnist-train'");
  const settings = settingsFromFlags(f);
  return {
    settings,
    gates: parseGates(f, settings),
    pollMs: 1000 * seconds('--poll-interval', f['poll-interval'], 600),
    timeoutMs: 1000 * seconds('--timeout', f.timeout, 7 * 24 * 3600),
  };
}

/**
 * The report and its envelope, accepted only when the envelope is signed over this model and this report by a
 * trusted key: the pinned ones (--keys) or else the server's own /v1/keys.
 */
async function fetchVerified(client: ApiClient, a: AuditView, digest: string, pinned?: string): Promise<{ report: Report; envelope?: unknown; keys: PublicJwk[] }> {
  const report = await client.json<Report>('GET', a.links.report);
  const keys = pinned ? await loadKeys(pinned) : parseJwks(await client.json('GET', '/v1/keys'), `${client.base}/v1/keys`);
  if (pinned && keys.length === 0) throw new EngineError('invalid_argument', `--keys: expected at least one key in ${pinned}, got none`);
  if (keys.length === 0) {
    console.error('qaudit: warning: the server publishes no signing key, so this report is not attested');
    return { report, keys };
  }
  const envelope = await client.json<unknown>('GET', a.links.attestation);
  const check = await checkAttestation(envelope, keys, { model: digest, predicate: report });
  if (!check.ok) throw new RemoteError(`expected a report attested by ${pinned ?? "the server's key"}, got: ${check.reason}`, 3);
  console.log(`attestation verified: keyid ${check.keyid}, subject model sha256:${digest}`);
  return { report, envelope, keys };
}

/** The test-result statement, accepted when signed by a trusted key over exactly this model's files. */
async function fetchTestResult(client: ApiClient, a: AuditView, files: ModelFiles, keys: PublicJwk[]): Promise<unknown> {
  const envelope = await client.json<unknown>('GET', `${a.links.self}/test-result`);
  const check = await checkAttestation(envelope, keys);
  if (!check.ok) throw new RemoteError(`expected a test-result statement signed by a trusted key, got: ${check.reason}`, 3);
  const want = [['model.json', await sha256Hex(files.jsonBytes)], ...await Promise.all([...files.shards].map(async ([n, b]) => [n, await sha256Hex(b)]))];
  const got = check.statement.subject.map((s) => [s.name, s.digest.sha256]);
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new RemoteError('expected the test-result subjects to be this model\'s files, got others', 3);
  return envelope;
}

async function run(client: ApiClient, flags: SubmitFlags, o: ReturnType<typeof checkFlags>): Promise<number> {
  const files = await readModelFiles(flags.model!);
  const digest = await modelDigest(files.jsonBytes, [...files.shards.values()]);
  const baseline = await prepareBaseline(o.gates, { server: flags.server, keys: flags.keys });
  const model = await uploadModel(client, files, digest);
  const data = await resolveData(client, flags.data);
  // The thresholds go along so that the server's report.junit.xml, report.sarif and test-result apply them too.
  const failUnder = flags['fail-under'] ? { failUnder: flags['fail-under'] } : {};
  const queued = await client.json<AuditView>('POST', '/v1/audits', { model, data, ...o.settings, ...failUnder });
  console.log(`audit ${queued.id} ${queued.status}: ${client.url(queued.links.self)}`);
  console.log(`  report: ${client.url(queued.links.reportHtml)}`);
  if (!flags.wait) return 0;

  const a = await follow(client, queued, { pollMs: o.pollMs, timeoutMs: o.timeoutMs, quiet: flags.quiet, noun: 'audit' });
  checkSucceeded(a, 'audit');
  const { report, envelope, keys } = await fetchVerified(client, a, digest, flags.keys);
  if (flags['test-result']) {
    if (keys.length === 0) throw new RemoteError('--test-result: expected the server to publish a signing key, got none', 3);
    await writeFile(flags['test-result'], JSON.stringify(await fetchTestResult(client, a, files, keys), null, 2) + '\n');
  }
  console.log(formatSummary(report));
  if (flags.attestation && envelope !== undefined) await writeFile(flags.attestation, JSON.stringify(envelope, null, 2) + '\n');
  // Rendered here rather than fetched: the server's JUnit and SARIF know nothing of this run's thresholds.
  const code = await writeOutputs(report, flags, o.gates, {
    model: flags.model!, baseline, reportUrl: client.url(a.links.reportHtml),
    signature: envelope === undefined ? { status: 'unsigned' } : { status: 'signed', verifyCommand: `qaudit verify ${flags.attestation ?? 'attestation.json'} --keys ${flags.keys ?? client.base} --model ${flags.model}` },
  });
  // After the report's files and the gates, so a failed download costs nothing else; a server without the route says so.
  if (flags['per-sample']) {
    if (!a.links.samples) throw new RemoteError('--per-sample: expected the server to offer per-sample results (links.samples), got none: the server is older than this CLI', 3);
    await writeJsonLines(flags['per-sample'], Readable.fromWeb((await client.request('GET', a.links.samples)).body! as WebStream<Uint8Array>));
  }
  return code;
}

export async function submitCommand(argv: string[]): Promise<number> {
  const flags = parseSubmitFlags(argv);
  if (flags.help) return (console.log(SUBMIT_HELP), 0);
  const o = checkFlags(flags);
  const client = new ApiClient({ server: flags.server!, apiKey: flags['api-key'] ?? process.env.QAUDIT_API_KEY });
  return withRemoteErrors(() => run(client, flags, o));
}
