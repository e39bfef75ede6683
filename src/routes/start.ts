// Starting an audit: canonical settings, explicit limits, model and data checked, the record written, the driver told.
import { planMemory } from '../engine/audit/memory';
import { parseThresholds } from '../engine/audit/junit';
import { attackWork } from '../engine/attacks/defaults';
import { planAudit, planGuards, planVariants } from '../engine/audit/plan';
import { AuditSettingsSchema, MICRO_BATCH, type AuditSettings } from '../engine/audit/settings';
import { EngineError } from '../engine/errors';
import type { ModelSummary } from '../engine/model/types';
import { GRADIENT_PASS_COST, jobCost, modelCost, type JobCost } from '../jobs/cost';
import type { AuditRequest, JobOwner, JobRecord } from '../jobs/types';
import type { Limits } from '../config';
import { gateOutsideRun } from '../report/gates';
import { keys, newId } from '../storage/keys';
import { auditLinks, type ResolvedDeps } from './deps';
import { checkFit, storedModelSummary } from './ingest';
import { ProblemError } from './problem';
import { presentProgress } from './progress';

/**
 * samples x epsilons x variants x defense guards x sum of attack iterations (x EOT draws behind a random mapping).
 * An attack's iterations come from the engine's own defaults (attackWork), so the estimate follows them.
 */
export function auditWork(s: AuditSettings, samples: number, model: { bits: number | null; numClasses: number }): number {
  const modelBits = model.bits;
  const eot = s.defense !== 'none' && s.defense.mapping === 'random' ? s.eot : 1;
  const perSample = s.attacks.reduce((a, name) => a + attackWork({ name, steps: s.steps, restarts: s.restarts, queries: s.queries }, model.numClasses), 0);
  return Math.min(s.limit, samples) * s.epsilons.length * planVariants(s, modelBits).length * planGuards(s).length * perSample * eot;
}

/** The job's multiply-adds and micro-batch memory of an audit (passes: each attack iteration a gradient step, plus the clean passes). */
export function auditCost(s: AuditSettings, samples: number, summary: ModelSummary, batch: number = s.microBatch ?? MICRO_BATCH): JobCost {
  const n = Math.min(s.limit, samples);
  const iterationsPerSample = n > 0 ? auditWork(s, samples, summary) / n : 0;
  const cleanPasses = planVariants(s, summary.bits).length * planGuards(s).length;
  return jobCost({ ...modelCost(summary), samples: n, attackWork: GRADIENT_PASS_COST * iterationsPerSample + cleanPasses, batch });
}

/** 422 naming the limit when a job costs more multiply-adds or activation memory than the service allows. */
export function checkCost(cost: JobCost, limits: Limits, field: string, what: string): void {
  if (cost.macs > limits.macs) {
    throw new ProblemError(422, 'limit_exceeded', `expected at most ${limits.macs} multiply-adds (MAX_MACS) for ${what}, got ${cost.macs.toPrecision(3)}: model multiply-adds per sample x samples x passes; lower the samples, attacks, steps or epsilons, or use a smaller model`, field);
  }
  if (cost.activationBytes > limits.activationBytes) {
    throw new ProblemError(422, 'limit_exceeded', `expected at most ${limits.activationBytes} bytes of activations per micro-batch (MAX_ACTIVATION_BYTES), got ${cost.activationBytes}; the model is too large for this service`, field);
  }
}

function canonical(input: Record<string, unknown>): AuditSettings {
  const r = AuditSettingsSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = ['body', ...issue.path.map(String)].join('.');
  throw new ProblemError(400, 'invalid_request', `${field}: ${issue.message}`, field);
}

/** Thresholds are refused at POST, like the CLI's before any work, when they name what the audit will not evaluate. */
function checkFailUnder(failUnder: unknown, settings: AuditSettings): void {
  if (failUnder === undefined) return;
  const bad = (why: string) => new ProblemError(400, 'invalid_request', `body.failUnder: ${why}`, 'body.failUnder');
  if (typeof failUnder !== 'string') throw bad('expected a string like "pgd@0.1=0.5"');
  let parsed;
  try {
    parsed = parseThresholds(failUnder);
  } catch (e) {
    throw bad((e as Error).message);
  }
  const outside = gateOutsideRun(parsed, settings, { attacks: 'attacks', epsilons: 'epsilons' });
  if (outside) throw bad(outside);
}

/** Validates and queues an audit; returns its record (status queued) after the driver accepted it. */
export async function startAudit(deps: ResolvedDeps, body: { model: string; data: string } & Record<string, unknown>, owner?: JobOwner): Promise<JobRecord> {
  const { model, data, failUnder, ...rest } = body;
  const settings = canonical(rest);
  checkFailUnder(failUnder, settings);
  const { limits } = deps.config;
  if (settings.limit > limits.samples) {
    throw new ProblemError(422, 'limit_exceeded', `expected limit <= ${limits.samples} samples, got ${settings.limit}`, 'body.limit');
  }
  const summary = await storedModelSummary(deps, model).catch((e) => {
    throw e instanceof ProblemError && e.status === 404 ? new ProblemError(404, 'not_found', e.message, 'body.model') : e;
  });
  let samples: number;
  try {
    samples = await checkFit(deps.store, data, summary, settings.labels);
  } catch (e) {
    if (e instanceof EngineError) throw new ProblemError(422, 'data_mismatch', `data ${data} does not fit model ${model}: ${e.message}`, 'body.data');
    throw e;
  }
  let microBatch: number;
  try {
    microBatch = settings.microBatch ?? planMemory(summary, planVariants(settings, summary.bits).length, limits.chunkMemoryBytes, settings.chunkSize).microBatch;
  } catch (e) {
    if (e instanceof EngineError) throw new ProblemError(422, 'limit_exceeded', e.message, 'body.bits');
    throw e;
  }
  const work = auditWork(settings, samples, summary);
  if (work > limits.work) {
    throw new ProblemError(422, 'limit_exceeded', `expected at most ${limits.work} work units (samples x epsilons x variants x defenses x attack iterations), got ${work}; lower limit, epsilons, bits, attacks or steps`, 'body');
  }
  checkCost(auditCost(settings, samples, summary, microBatch), limits, 'body', 'this audit');
  const total = planAudit(settings, { modelBits: summary.bits, dataSize: samples }).length;
  const id = newId();
  // The jobs' AuditRequest (src/jobs/request.ts); settings stored canonical, so the runner's parseSettings is a no-op.
  const request: AuditRequest = { model, dataset: data === 'mnist' ? 'mnist' : { sha256: data }, settings, ...(typeof failUnder === 'string' ? { failUnder } : {}) };
  const record: JobRecord = {
    id, kind: 'audit', status: 'queued', createdAt: new Date(deps.now()).toISOString(),
    progress: { done: 0, total }, request: request as unknown as Record<string, unknown>, ...(owner ? { owner } : {}),
  };
  return queueJob(deps, record);
}

/** Writes a new job's record and hands it to the driver; a refusal marks it failed and answers 503. */
export async function queueJob(deps: ResolvedDeps, record: JobRecord): Promise<JobRecord> {
  const noun = record.kind === 'audit' ? 'the audit' : 'the retraining job';
  if (record.owner) await checkQueue(deps, record.owner);
  await deps.store.put(keys.jobState(record.id), encodeRecord(record), { contentType: 'application/json', ifNoneMatch: '*' });
  try {
    await deps.driver.start(record.id, record.kind, record.owner);
  } catch {
    const failed: JobRecord = { ...record, status: 'failed', finishedAt: new Date(deps.now()).toISOString(), error: { code: 'start_failed', message: `expected the job runner to accept ${noun}, got a refusal` } };
    await deps.store.put(keys.jobState(record.id), encodeRecord(failed), { contentType: 'application/json' });
    throw new ProblemError(503, 'runner_unavailable', `expected the job runner to accept ${noun}, got a refusal; retry later`, undefined, { 'retry-after': '10' });
  }
  return record;
}

/** 429 when the caller's key (or, without one, its address) or its address already has the most unfinished jobs allowed. */
async function checkQueue(deps: ResolvedDeps, owner: JobOwner): Promise<void> {
  const held = await deps.driver.pending?.(owner);
  if (!held) return;
  const { limits } = deps.config;
  const tenantCap = owner.tenant.startsWith('key:') ? limits.queuedPerKey : limits.queuedPerAddress;
  const over = held.tenant >= tenantCap ? `${held.tenant} unfinished jobs for this ${owner.tenant.startsWith('key:') ? 'API key' : 'caller'} (at most ${tenantCap})`
    : held.client >= limits.queuedPerAddress ? `${held.client} unfinished jobs from this address (at most ${limits.queuedPerAddress})` : null;
  if (over) throw new ProblemError(429, 'too_many_jobs', `expected fewer unfinished jobs, got ${over}; wait for one to finish`, undefined, { 'retry-after': '30' });
}

export const encodeRecord = (r: JobRecord) => new TextEncoder().encode(JSON.stringify(r));

/** The record as the API shows it, with links; `data` is 'mnist' or the data set id. */
export function presentAudit(r: JobRecord) {
  const req = r.request as Partial<AuditRequest>;
  const data = typeof req.dataset === 'object' ? req.dataset.sha256 : String(req.dataset ?? '');
  return {
    id: r.id, status: r.status, progress: presentProgress(r), createdAt: r.createdAt,
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    request: { model: String(req.model ?? ''), data, settings: (req.settings ?? {}) as Record<string, unknown>, ...(req.failUnder ? { failUnder: req.failUnder } : {}) },
    ...(r.error ? { error: r.error } : {}),
    links: auditLinks(r.id),
  };
}
