// The audit job as resumable steps shared by both drivers: prepare (plan), one step per chunk, report (merge + sign).
// Each step writes its result under keys.jobChunk(job, step) and, when retried, finds it there instead of redoing it.
import { DEFAULT_MEMORY_BUDGET, chunkBytes, mergeReport, mergeResults, parseSettings, planAudit, planVariants, sampleLines, withMicroBatch } from '../engine/audit';
import type { AuditSettings, Chunk, ChunkResult, DataInfo, Report, SampleLine } from '../engine/audit';
import type { ModelSummary } from '../engine/model/types';
import { createStatement, sha256Hex, signStatement } from '../attest';
import { keys } from '../storage/keys';
import { StorageError, listAll } from '../storage/store';
import type { Store } from '../storage/store';
import { loadInputs } from './inputs';
import type { AuditInputs } from './inputs';
import type { ChunkRun } from './executor';
import { keepMeasures, writeOnce } from './lifecycle';
import type { JobDeps } from './lifecycle';
import { fromJsonBytes, readRecord, toJsonBytes, updateRecord } from './record';
import { parseAuditRequest } from './request';
import type { AuditRequest } from './types';

/** Everything the chunk and report steps need, stored as the `plan` step's result (plain JSON). */
export interface AuditPlan {
  jobId: string;
  /** The validated request (how a later step, possibly in another isolate, finds model and data again). */
  request: AuditRequest;
  /** SHA-256 of the audited model: the attestation's subject. */
  model: string;
  settings: AuditSettings;
  summary: ModelSummary;
  data: DataInfo;
  surrogate: boolean;
  chunks: Chunk[];
  /** The memory plan's estimate of a chunk's peak at the chosen micro-batch, and the budget it was sized for. */
  memory?: { plannedBytes: number; budgetBytes: number };
}

const JSON_TYPE = { contentType: 'application/json' };
/** Step name of the plan; engine chunk ids always carry a ':' and never collide (see stepId), nor do CANCEL_STEP's. */
export const PLAN_STEP = 'plan';

/**
 * The storage name of a chunk's step. Engine ids such as `pgd:w4:none+bpda:0.3:0-32` hold characters the key
 * alphabet refuses, so the id is slugged for reading and suffixed with its hash, which keeps the map one-to-one.
 */
export async function stepId(chunkId: string): Promise<string> {
  const slug = chunkId.toLowerCase().replace(/\+/g, 'x').replace(/[^a-z0-9-]+/g, '_').replace(/^[^a-z0-9]+/, '').slice(0, 100);
  return `${slug || 'c'}-${(await sha256Hex(chunkId)).slice(0, 16)}`;
}

export const chunkKey = async (jobId: string, chunkId: string) => keys.jobChunk(jobId, await stepId(chunkId));

function isPlan(bytes: Uint8Array, jobId: string): boolean {
  try {
    return fromJsonBytes<AuditPlan>(bytes).jobId === jobId;
  } catch {
    return false;
  }
}

/**
 * Step `prepare`: validates the request, loads model and data, plans the chunks. The plan is stored once; a
 * later run reads it back (so every run merges from the same JSON), but the inputs are loaded again because the
 * chunk runners need them. Returns the plan as parsed from its stored bytes.
 */
export async function prepare(jobId: string, deps: JobDeps): Promise<{ plan: AuditPlan; inputs: AuditInputs }> {
  const record = await readRecord(deps.store, jobId);
  if (!record) throw new StorageError('not_found', `expected a job record at ${keys.jobState(jobId)}, got none`, keys.jobState(jobId));
  const request = parseAuditRequest(record.request);
  const parsed = parseSettings(request.settings ?? {});
  const { inputs, model } = await loadInputs(deps.store, request, parsed, deps.builtin);
  try {
    // The micro-batch is fixed here and stored with the plan, so that every runtime and every resume uses it.
    const variants = planVariants(parsed, model.summary.bits).length;
    const budgetBytes = deps.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    const settings = withMicroBatch(parsed, model.summary, variants, budgetBytes);
    const memory = { plannedBytes: chunkBytes(model.summary, variants, settings.microBatch!), budgetBytes };
    // Planning is deterministic: a torn plan is replaced by the same bytes it should hold (writeOnce).
    const { bytes } = await writeOnce(deps.store, keys.jobChunk(jobId, PLAN_STEP), (b) => isPlan(b, jobId), () => {
      const surrogate = inputs.surrogate !== undefined;
      const chunks = planAudit(settings, { modelBits: model.summary.bits, dataSize: inputs.dataTotal, surrogate });
      const plan: AuditPlan = {
        jobId, request, model: request.model, settings, summary: model.summary,
        data: { name: inputs.data.name, total: inputs.dataTotal }, surrogate, chunks, memory,
      };
      return toJsonBytes(plan);
    }, JSON_TYPE);
    return { plan: fromJsonBytes<AuditPlan>(bytes), inputs };
  } finally {
    model.dispose();
  }
}

/** Whether stored bytes are a whole result of the chunk (a torn object is not JSON of this chunk). */
function isResultOf(b: Uint8Array, chunkId: string): boolean {
  try {
    return fromJsonBytes<{ id?: unknown }>(b).id === chunkId;
  } catch {
    return false;
  }
}

/**
 * Step `chunk <id>`: skipped when its result is stored; otherwise computes it and writes it once. Results are
 * deterministic, so a step retried after a crash between compute and write writes the very same bytes, and a
 * torn object (not JSON of this chunk, so never a valid result) may safely be replaced by them.
 */
export async function chunkStep(
  jobId: string, chunk: Chunk, deps: JobDeps, compute: (c: Chunk) => Promise<ChunkRun>,
): Promise<{ computed: true; memoryBytes: number } | { computed: false }> {
  const key = await chunkKey(jobId, chunk.id);
  let memoryBytes = 0;
  const { written } = await writeOnce(deps.store, key, (b) => isResultOf(b, chunk.id), async () => {
    const run = await compute(chunk);
    memoryBytes = run.memoryBytes;
    return toJsonBytes(run.result);
  }, JSON_TYPE);
  return written ? { computed: true, memoryBytes } : { computed: false };
}

/** Which chunks of the plan already have a stored result (what a resumed run skips). */
export async function finishedChunks(plan: AuditPlan, store: Store): Promise<Set<string>> {
  const stored = new Set(await listAll(store, keys.jobChunksPrefix(plan.jobId)));
  const done = new Set<string>();
  for (const c of plan.chunks) if (stored.has(await chunkKey(plan.jobId, c.id))) done.add(c.id);
  return done;
}

async function readResults(plan: AuditPlan, store: Store): Promise<ChunkResult[]> {
  const out: ChunkResult[] = new Array(plan.chunks.length);
  // A few reads at a time: a plan can have hundreds of chunks and the store is remote.
  for (let i = 0; i < plan.chunks.length; i += 16) {
    await Promise.all(plan.chunks.slice(i, i + 16).map(async (c, j) => {
      const key = await chunkKey(plan.jobId, c.id);
      const b = await store.get(key);
      if (!b) throw new StorageError('not_found', `expected the stored result of chunk ${c.id}, got none`, key);
      out[i + j] = fromJsonBytes<ChunkResult>(b);
    }));
  }
  return out;
}

/**
 * Step `report`: merges the stored chunk results (always from their stored bytes, so a resumed job and an
 * uninterrupted one merge identical input), signs the statement and writes report.json and attestation.json
 * under the job's id, then marks the job succeeded.
 */
export async function reportStep(plan: AuditPlan, deps: JobDeps, now = () => new Date()): Promise<{ reportId: string; report: Report }> {
  const reportId = plan.jobId;
  const results = await readResults(plan, deps.store);
  const report = mergeReport(plan.settings, plan.summary, plan.chunks, results, plan.data, { surrogate: plan.surrogate });
  const reportBytes = toJsonBytes(report);
  const statement = createStatement([{ name: 'model', digest: { sha256: plan.model } }], fromJsonBytes<Report>(reportBytes));
  const envelope = await signStatement(statement, deps.signingKey);
  await deps.store.putIfAbsent(keys.report(reportId), reportBytes, JSON_TYPE);
  if (!(await deps.store.head(keys.attestation(reportId)))) {
    await deps.store.putIfAbsent(keys.attestation(reportId), toJsonBytes(envelope), JSON_TYPE);
  }
  const total = plan.chunks.length;
  await updateRecord(deps.store, plan.jobId, (r) => ({
    ...r, status: 'succeeded', finishedAt: now().toISOString(), reportId, error: undefined,
    // The measures of the run stay readable after it: the last chunk's time and the memory peak against the plan.
    progress: keepMeasures(r.progress, { done: total, total }),
  }));
  return { reportId, report };
}

/**
 * The per-sample lines of an audit whose chunks are all stored, merged from its stored plan and chunk results as
 * the report step merges them; undefined when the job has no plan (it never started, or is no audit).
 */
export async function auditSampleLines(jobId: string, store: Store): Promise<Generator<SampleLine> | undefined> {
  const bytes = await store.get(keys.jobChunk(jobId, PLAN_STEP));
  if (!bytes || !isPlan(bytes, jobId)) return undefined;
  const plan = fromJsonBytes<AuditPlan>(bytes);
  let results: ChunkResult[];
  try {
    results = await readResults(plan, store);
  } catch (e) {
    if (e instanceof StorageError && e.code === 'not_found') return undefined;
    throw e;
  }
  // The lines need per-sample outcomes only: drop what the report alone reads (example pixels, companions' inputs).
  const lean = results.map((r) => (r.kind === 'attack' ? { ...r, examples: [], amplification: [], others: {} } : r));
  return sampleLines(mergeResults(plan.settings, plan.summary, plan.chunks, lean, plan.data, { surrogate: plan.surrogate }));
}
