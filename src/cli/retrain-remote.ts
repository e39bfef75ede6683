// `qaudit retrain --server URL`: the same retraining as a job on a qaudit server: upload, start, follow the
// training steps and the closing audits, then download the repaired model and the signed report into --out.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pct } from '../engine/format';
import type { RetrainReport } from '../jobs/types';
import { modelDigest } from '../storage/digest';
import { readModelFiles } from './files';
import { ApiClient, parseJwks } from './http';
import { RemoteError, checkSucceeded, follow, resolveData, uploadModel, withRemoteErrors } from './remote';
import type { JobView } from './remote';
import { checkAttestation } from './verify';
import { EngineError } from '../engine/errors';

interface RetrainView extends JobView {
  loss: { step: number; loss: number }[];
  repairedModel?: string;
  links: { self: string; modelJson: string; report: string; reportHtml: string; attestation: string; page: string };
}

export interface RemoteRetrainOptions {
  server: string;
  apiKey?: string;
  model: string;
  out: string;
  /** Follow this job id instead of starting one. */
  job?: string;
  data: string;
  evalData: string;
  /** The request body's method, bits, epochs, seed and settings. */
  body: Record<string, unknown>;
  pollMs: number;
  timeoutMs: number;
  quiet: boolean;
}


/** Downloads the repaired model and the report, and checks the report's attestation names that very model. */
async function download(client: ApiClient, job: RetrainView, out: string): Promise<RetrainReport> {
  const json = new Uint8Array(await (await client.request('GET', job.links.modelJson)).arrayBuffer());
  const weights = new Uint8Array(await (await client.request('GET', job.links.modelJson.replace(/model\.json$/, 'weights.bin'))).arrayBuffer());
  const digest = await modelDigest(json, [weights]);
  if (digest !== job.repairedModel) throw new RemoteError(`expected the repaired model sha256:${job.repairedModel}, got sha256:${digest}`, 3);
  const report = await client.json<RetrainReport>('GET', job.links.report);
  const keys = parseJwks(await client.json('GET', '/v1/keys'), `${client.base}/v1/keys`);
  if (keys.length > 0) {
    const envelope = await client.json<unknown>('GET', job.links.attestation);
    const check = await checkAttestation(envelope, keys, { model: digest, predicate: report });
    if (!check.ok) throw new RemoteError(`expected a retraining report attested by the server's key, got: ${check.reason}`, 3);
    await writeFile(join(out, 'attestation.json'), JSON.stringify(envelope, null, 2) + '\n');
    console.log(`attestation verified: keyid ${check.keyid}, subjects original and repaired model`);
  }
  await writeFile(join(out, 'model.json'), json);
  await writeFile(join(out, 'weights.bin'), weights);
  await writeFile(join(out, 'loss.json'), JSON.stringify(job.loss.map((p) => p.loss)) + '\n');
  await writeFile(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  return report;
}

/** DIR/job.json: which job this command started, so that a rerun (after Ctrl-C, a lost connection) re-attaches. */
interface JobFile { server: string; request: string; id: string }
const jobFile = (out: string) => join(out, 'job.json');

async function readJobFile(out: string): Promise<JobFile | undefined> {
  try {
    return JSON.parse(await readFile(jobFile(out), 'utf8')) as JobFile;
  } catch {
    return undefined;
  }
}

/** The job to follow: --job, else the one a previous run of the same request started (unless it failed), else a new one. */
async function startOrAttach(client: ApiClient, o: RemoteRetrainOptions): Promise<RetrainView> {
  if (o.job) {
    if (!/^[0-9a-f]{32}$/.test(o.job)) throw new EngineError('invalid_argument', `--job: expected a job id of 32 lowercase hex chars, got '${o.job}'`);
    const job = await client.json<RetrainView>('GET', `/v1/retrain-jobs/${o.job}`);
    console.log(`following retraining job ${job.id} (${job.status}): ${client.url(job.links.page)}`);
    return job;
  }
  const files = await readModelFiles(o.model);
  const model = await uploadModel(client, files, await modelDigest(files.jsonBytes, [...files.shards.values()]));
  const data = o.data === 'mnist' ? 'mnist' : await resolveData(client, o.data);
  const evalData = await resolveData(client, o.evalData, '--eval-data');
  const body = { ...o.body, model, data, evalData };
  const request = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const previous = await readJobFile(o.out);
  if (previous && previous.server === client.base && previous.request === request) {
    const job = await client.json<RetrainView>('GET', `/v1/retrain-jobs/${previous.id}`).catch(() => undefined);
    if (job && job.status !== 'failed' && job.status !== 'canceled') {
      console.log(`re-attaching to retraining job ${job.id} (${job.status}), started by an earlier run: ${client.url(job.links.page)}`);
      return job;
    }
  }
  const queued = await client.json<RetrainView>('POST', '/v1/retrain-jobs', body);
  await mkdir(o.out, { recursive: true });
  await writeFile(jobFile(o.out), JSON.stringify({ server: client.base, request, id: queued.id } satisfies JobFile, null, 2) + '\n');
  console.log(`retraining job ${queued.id} ${queued.status}: ${client.url(queued.links.page)}`);
  return queued;
}

async function run(client: ApiClient, o: RemoteRetrainOptions): Promise<number> {
  const queued = await startOrAttach(client, o);
  const job = await follow(client, queued, { pollMs: o.pollMs, timeoutMs: o.timeoutMs, quiet: o.quiet, noun: 'retraining job', verb: 'retraining', unit: 'steps' });
  checkSucceeded(job, 'retraining job');
  await mkdir(o.out, { recursive: true });
  const report = await download(client, job, o.out);
  await rm(jobFile(o.out), { force: true });
  const c = report.clean;
  console.log(`retrained: clean accuracy float ${pct(c.float)}, plain ${pct(c.quantized)}, repaired ${pct(c.repaired)} -> ${o.out}`);
  for (const r of report.robust) console.log(`  ${r.attack}@${r.epsilon}: float ${pct(r.float)}, plain ${pct(r.quantized)}, repaired ${pct(r.repaired)}`);
  console.log(`  report: ${client.url(job.links.reportHtml)}`);
  return 0;
}

export function retrainOnServer(o: RemoteRetrainOptions): Promise<number> {
  return withRemoteErrors(() => run(new ApiClient({ server: o.server, apiKey: o.apiKey }), o));
}
