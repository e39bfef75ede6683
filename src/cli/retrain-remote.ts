// `qaudit retrain --server URL`: the same retraining as a job on a qaudit server: upload, start, follow the
// training steps and the closing audits, then download the repaired model and the signed report into --out.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pct } from '../engine/format';
import type { RetrainReport } from '../jobs/types';
import { modelDigest } from '../storage/digest';
import { readModelFiles } from './files';
import { ApiClient, parseJwks } from './http';
import { RemoteError, checkSucceeded, follow, resolveData, uploadModel, withRemoteErrors } from './remote';
import type { JobView } from './remote';
import { checkAttestation } from './verify';

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

async function run(client: ApiClient, o: RemoteRetrainOptions): Promise<number> {
  const files = await readModelFiles(o.model);
  const model = await uploadModel(client, files, await modelDigest(files.jsonBytes, [...files.shards.values()]));
  const data = o.data === 'mnist' ? 'mnist' : await resolveData(client, o.data);
  const evalData = await resolveData(client, o.evalData, '--eval-data');
  const queued = await client.json<RetrainView>('POST', '/v1/retrain-jobs', { ...o.body, model, data, evalData });
  console.log(`retraining job ${queued.id} ${queued.status}: ${client.url(queued.links.page)}`);
  const job = await follow(client, queued, { pollMs: o.pollMs, timeoutMs: o.timeoutMs, quiet: o.quiet, noun: 'retraining job', verb: 'retraining', unit: 'steps' });
  checkSucceeded(job, 'retraining job');
  await mkdir(o.out, { recursive: true });
  const report = await download(client, job, o.out);
  const c = report.clean;
  console.log(`retrained: clean accuracy float ${pct(c.float)}, plain ${pct(c.quantized)}, repaired ${pct(c.repaired)} -> ${o.out}`);
  for (const r of report.robust) console.log(`  ${r.attack}@${r.epsilon}: float ${pct(r.float)}, plain ${pct(r.quantized)}, repaired ${pct(r.repaired)}`);
  console.log(`  report: ${client.url(job.links.reportHtml)}`);
  return 0;
}

export function retrainOnServer(o: RemoteRetrainOptions): Promise<number> {
  return withRemoteErrors(() => run(new ApiClient({ server: o.server, apiKey: o.apiKey }), o));
}
