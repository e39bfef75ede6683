// Bounded loopback load (autocannon) on the real server: concurrent model uploads, audit submissions and status
// polls at once; then every accepted audit is followed to its end. Shared by load.test.ts and scripts/load.ts.
import autocannon, { type Result } from 'autocannon';
import { zipSync } from 'fflate';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { readRecord } from '../../src/jobs/record';
import type { JobRecord } from '../../src/jobs/types';
import { tinyModel } from '../routes/_app';
import { listAll, startRelServer } from './_server';

export interface LoadOptions {
  /** Seconds the poll stream runs. */
  seconds: number;
  /** Distinct models uploaded in all, over `uploadConnections`. */
  uploads: number;
  uploadConnections: number;
  /** Audits submitted in all, over `auditConnections`. */
  audits: number;
  auditConnections: number;
  pollConnections: number;
  /** The bundled audit worker: audits run on a worker thread, as in production, off the event loop. */
  workerPath: string;
}

export interface LoadResult {
  uploads: Result;
  submits: Result;
  polls: Result;
  /** Audit ids answered 202, in the order the answers came. */
  accepted: string[];
  /** Every audit record in the store after the runner went idle, by createdAt. */
  records: JobRecord[];
  /** Audit ids in the order the server admitted them to its queue (handed to the job driver). */
  admitted: string[];
  /** The driver's events as runs of one job each (consecutive events of a job collapsed), in the order emitted:
   *  one entry per job when jobs ran one at a time, in the order they ran. */
  runs: string[];
  /** Distinct models stored under models/. */
  models: number;
  /** Audits still unfinished when the poll stream ended (polls ran while audits ran). */
  runningAtPollEnd: number;
}

/** `n` distinct tiny models as zip bodies (distinct seeds, so distinct ids). */
function modelZips(n: number, from = 100): Buffer[] {
  return Array.from({ length: n }, (_, i) => {
    const m = tinyModel(from + i);
    return Buffer.from(zipSync({ 'model.json': m.json, ...Object.fromEntries(m.files) }));
  });
}

async function upload(url: string, path: string, body: Uint8Array, type: string): Promise<string> {
  const res = await fetch(url + path, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': type } });
  if (res.status >= 300) throw new Error(`expected 2xx from ${path}, got ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Client timeout of every request, in seconds: generous, so that a loaded machine slows the run instead of failing it. */
const CLIENT_TIMEOUT_S = 300;

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const s = await startRelServer({ recordEvents: false, threads: 1, workerPath: o.workerPath });
  try {
    const model = await upload(s.url, '/v1/models', modelZips(1)[0]!, 'application/zip');
    const npz = datasetToNpz({ name: 'load', x: Uint8Array.from({ length: 4 * 16 }, (_, i) => (i * 37) % 256), y: Int32Array.of(0, 1, 2, 0), shape: [4, 4, 4, 1] });
    const data = await upload(s.url, '/v1/datasets', npz, 'application/octet-stream');
    const auditBody = JSON.stringify({ model, data, attacks: ['fgsm'], bits: [4], epsilons: [0.1], limit: 2 });

    const accepted: string[] = [];
    const zips = modelZips(o.uploads, 200);
    let z = 0;
    let busy = true;
    const uploads = autocannon({
      url: s.url, connections: o.uploadConnections, amount: o.uploads, timeout: CLIENT_TIMEOUT_S,
      requests: [{ method: 'POST', path: '/v1/models', headers: { 'content-type': 'application/zip' }, setupRequest: (r) => ({ ...r, body: zips[z++ % zips.length] }) }],
    });
    const submits = autocannon({
      url: s.url, connections: o.auditConnections, amount: o.audits, timeout: CLIENT_TIMEOUT_S,
      requests: [{ method: 'POST', path: '/v1/audits', headers: { 'content-type': 'application/json' }, body: auditBody }],
    });
    // Ids are collected from the server's own list (GET /v1/audits is what a client would poll with, too).
    let p = 0;
    const polls = autocannon({
      url: s.url, connections: o.pollConnections, duration: o.seconds, timeout: CLIENT_TIMEOUT_S,
      requests: [{
        method: 'GET',
        setupRequest: (r) => {
          return { ...r, path: accepted.length ? `/v1/audits/${accepted[p++ % accepted.length]}` : '/healthz' };
        },
      }],
    });
    const collector = (async () => {
      while (busy) {
        const page = await listAll(s.store, 'jobs/');
        for (const k of page) {
          const id = /^jobs\/([0-9a-f]{32})\/state\.json$/.exec(k)?.[1];
          if (id && !accepted.includes(id)) accepted.push(id);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let pollEnd = '';
    const [u, sub, pl] = await Promise.all([uploads, submits, polls.then((r) => { pollEnd = new Date().toISOString(); return r; })]);
    await s.driver.idle();
    busy = false;
    await collector;
    const ids = (await listAll(s.store, 'jobs/')).map((k) => /^jobs\/([0-9a-f]{32})\/state\.json$/.exec(k)?.[1]).filter((x): x is string => !!x);
    const records = (await Promise.all(ids.map((id) => readRecord(s.store, id)))).filter((r): r is JobRecord => !!r)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const models = (await listAll(s.store, 'models/')).filter((k) => k.endsWith('/model.json')).length;
    const runningAtPollEnd = records.filter((r) => !r.finishedAt || r.finishedAt > pollEnd).length;
    const runs = s.trace.filter((id, i) => id !== s.trace[i - 1]);
    return { uploads: u, submits: sub, polls: pl, accepted, records, admitted: [...s.admitted], runs, models, runningAtPollEnd };
  } finally {
    await s.close();
  }
}

const ms = (x: number) => `${x.toFixed(1)}`;
const codes = (r: Result) => Object.entries(r.statusCodeStats).map(([c, v]) => `${c}:${v.count}`).join(' ');

/** One markdown row per stream. */
export function loadTable(r: LoadResult): string {
  const row = (name: string, x: Result) =>
    `| ${name} | ${x.requests.total} | ${codes(x)} | ${x.errors} | ${x.timeouts} | ${ms(x.latency.p50)} | ${ms(x.latency.p99)} | ${ms(x.latency.max)} |`;
  return [
    '| stream | requests | status codes | errors | timeouts | p50 ms | p99 ms | max ms |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
    row('model uploads (zip, distinct)', r.uploads),
    row('audit submissions', r.submits),
    row('status polls', r.polls),
  ].join('\n');
}
