// Starting a retraining job: settings resolved by the engine, explicit limits, model and both data sets checked,
// the record written, the driver told; and the record as the API shows it.
import { z } from '@hono/zod-openapi';
import { AuditSettingsSchema, type AuditSettings } from '../engine/audit/settings';
import { DefenseSettingSchema } from '../engine/defense/settings';
import { EngineError } from '../engine/errors';
import { DEFAULT_RETRAIN_AUDIT, DEFENDED_RETRAIN_AUDIT, resolveRetrainConfig, RETRAIN_METHODS, type RetrainConfig } from '../engine/train/config';
import { GRADIENT_PASS_COST, jobCost, modelCost, type JobCost } from '../jobs/cost';
import type { JobOwner, JobRecord, RetrainRequest } from '../jobs/types';
import { newId } from '../storage/keys';
import type { ResolvedDeps } from './deps';
import { checkFit, MNIST_TRAIN_SAMPLES, storedModelSummary } from './ingest';
import { ProblemError } from './problem';
import { overallFraction, presentProgress } from './progress';
import { DataRef, Sha256 } from './schemas';
import { auditCost, auditWork, checkCost, queueJob } from './start';

/** Mini-batches per resumable step at most: a step must stay well inside one Workers invocation and cancel promptly. */
export const MAX_BATCHES_PER_STEP = 64;

export const RetrainBodySchema = z.object({
  model: Sha256.openapi({ description: 'The float (or quantized) model to retrain, uploaded with POST /v1/models' }),
  method: z.enum(RETRAIN_METHODS).openapi({ description: 'boundary (METHOD.md) or a baseline: none, qat, pgd-at, at-then-quantize' }),
  bits: z.int().min(1).max(8),
  epochs: z.int().min(1).max(1000).default(1),
  seed: z.int().min(0).max(2 ** 31 - 1).default(0),
  data: DataRef.default('mnist').openapi({ description: 'Training data: mnist (the built-in training split) or an uploaded .npz' }),
  defense: DefenseSettingSchema.default('none').openapi({
    description: 'The nonlinear input mapping g to train in (docs/api.md#retraining), as POST /v1/audits takes `defense`: every method fine-tunes the network behind g, and both closing audits run with it (plain, adaptive and black-box rows)',
  }),
  settings: z.record(z.string(), z.unknown()).default({}).openapi({ description: 'Further retraining settings (docs/api.md#retraining): maxBatches, batchSize, perChannel, optimizer, schedule, boundary, adversarial' }),
  audit: z.record(z.string(), z.unknown()).default({}).openapi({ description: 'Settings of the closing before/after audit, as POST /v1/audits takes them (bits is the job\'s)' }),
  evalData: DataRef.default('mnist').openapi({ description: 'Data of the closing audit: mnist (the built-in test split) or an uploaded .npz' }),
}).strict().openapi('RetrainRequest');
export type RetrainBody = z.infer<typeof RetrainBodySchema>;

function retrainConfig(body: RetrainBody): RetrainConfig {
  const fixed = ['method', 'bits', 'epochs', 'seed', 'defense'].find((k) => k in body.settings);
  if (fixed) throw new ProblemError(400, 'invalid_request', `body.settings.${fixed}: expected it at the top level of the body, got it in settings`, `body.settings.${fixed}`);
  try {
    return resolveRetrainConfig({ ...body.settings, method: body.method, bits: body.bits, epochs: body.epochs, seed: body.seed, defense: body.defense });
  } catch (e) {
    if (e instanceof EngineError) throw new ProblemError(400, 'invalid_request', e.message.replace('settings', 'body.settings'), `body.${e.pointer ?? 'settings'}`);
    throw e;
  }
}

/** The closing audits' settings: the job's bits and defense (the model was trained behind it), the body's others. */
function auditSettings(body: RetrainBody, config: RetrainConfig): AuditSettings {
  if ('defense' in body.audit) throw new ProblemError(400, 'invalid_request', 'body.audit.defense: expected it at the top level of the body (the mapping trained in), got it in audit', 'body.audit.defense');
  const defaults = config.defense === 'none' ? DEFAULT_RETRAIN_AUDIT : DEFENDED_RETRAIN_AUDIT;
  const r = AuditSettingsSchema.safeParse({ ...defaults, ...body.audit, bits: [config.bits], defense: config.defense });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = ['body', 'audit', ...issue.path.map(String)].join('.');
  throw new ProblemError(400, 'invalid_request', `${field}: ${issue.message}`, field);
}

/** Training (each sample a gradient step, plus the attack steps of boundary or adversarial training) and the two closing audits. */
function retrainCost(config: RetrainConfig, batches: number, audit: AuditSettings, evalSamples: number, summary: Parameters<typeof checkFit>[2]): JobCost {
  const attackSteps = config.method === 'boundary' ? config.boundary.steps : config.method === 'pgd-at' || config.method === 'at-then-quantize' ? config.adversarial.steps : 0;
  const training = jobCost({ ...modelCost(summary), samples: batches * config.batchSize, attackWork: GRADIENT_PASS_COST * (1 + attackSteps), batch: config.batchSize });
  const closing = auditCost(audit, evalSamples, summary);
  return { macs: training.macs + 2 * closing.macs, activationBytes: Math.max(training.activationBytes, closing.activationBytes) };
}

async function fits(deps: ResolvedDeps, ref: string, summary: Parameters<typeof checkFit>[2], field: string): Promise<number> {
  try {
    return await checkFit(deps.store, ref, summary);
  } catch (e) {
    if (e instanceof EngineError) throw new ProblemError(422, 'data_mismatch', `data ${ref} does not fit the model: ${e.message}`, field);
    if (e instanceof ProblemError && e.status === 404) throw new ProblemError(404, 'not_found', e.message, field);
    throw e;
  }
}

/** Validates and queues a retraining job; returns its record (status queued) after the driver accepted it. */
export async function startRetrain(deps: ResolvedDeps, body: RetrainBody, owner?: JobOwner): Promise<JobRecord> {
  const config = retrainConfig(body);
  const audit = auditSettings(body, config);
  const { limits } = deps.config;
  const summary = await storedModelSummary(deps, body.model).catch((e) => {
    throw e instanceof ProblemError && e.status === 404 ? new ProblemError(404, 'not_found', e.message, 'body.model') : e;
  });
  const trainSamples = body.data === 'mnist' ? MNIST_TRAIN_SAMPLES : await fits(deps, body.data, summary, 'body.data');
  if (body.data === 'mnist') await fits(deps, 'mnist', summary, 'body.data');
  const evalSamples = await fits(deps, body.evalData, summary, 'body.evalData');
  if (config.batchesPerStep > MAX_BATCHES_PER_STEP) {
    throw new ProblemError(422, 'limit_exceeded', `expected settings.batchesPerStep <= ${MAX_BATCHES_PER_STEP}, got ${config.batchesPerStep}`, 'body.settings.batchesPerStep');
  }
  const batches = config.method === 'none' ? 0 : Math.min(config.epochs * Math.ceil(trainSamples / config.batchSize), config.maxBatches ?? Infinity);
  if (batches > limits.trainBatches) {
    throw new ProblemError(422, 'limit_exceeded', `expected at most ${limits.trainBatches} mini-batches per retraining job, got ${batches} (epochs x ceil(samples / batchSize)); lower epochs or set settings.maxBatches`, 'body.epochs');
  }
  if (audit.limit > limits.samples) throw new ProblemError(422, 'limit_exceeded', `expected audit.limit <= ${limits.samples} samples, got ${audit.limit}`, 'body.audit.limit');
  const work = 2 * auditWork(audit, evalSamples, summary);
  if (work > limits.work) {
    throw new ProblemError(422, 'limit_exceeded', `expected at most ${limits.work} work units for the two closing audits, got ${work}; lower audit.limit, epsilons, attacks or steps`, 'body.audit');
  }
  checkCost(retrainCost(config, batches, audit, evalSamples, summary), limits, 'body', 'this retraining job and its two closing audits');
  const id = newId();
  const request: RetrainRequest = {
    model: body.model,
    dataset: body.data === 'mnist' ? 'mnist' : { sha256: body.data },
    settings: config as unknown as Record<string, unknown>,
    audit: audit as unknown as Record<string, unknown>,
    evalDataset: body.evalData === 'mnist' ? 'mnist' : { sha256: body.evalData },
  };
  const record: JobRecord = {
    id, kind: 'retrain', status: 'queued', createdAt: new Date(deps.now()).toISOString(),
    progress: { done: 0, total: Math.ceil(batches / config.batchesPerStep) }, request: request as unknown as Record<string, unknown>,
    retrain: { phase: 'queued', loss: [] }, ...(owner ? { owner } : {}),
  };
  return queueJob(deps, record);
}

export const retrainLinks = (id: string, audits?: { before: string; after: string }) => ({
  self: `/v1/retrain-jobs/${id}`,
  model: `/v1/retrain-jobs/${id}/model`,
  modelJson: `/v1/retrain-jobs/${id}/model/model.json`,
  report: `/v1/retrain-jobs/${id}/report`,
  reportHtml: `/v1/retrain-jobs/${id}/report.html`,
  attestation: `/v1/retrain-jobs/${id}/attestation`,
  page: `/retrain-jobs/${id}`,
  ...(audits ? { before: `/v1/audits/${audits.before}`, after: `/v1/audits/${audits.after}` } : {}),
});

const dataRef = (d: RetrainRequest['dataset'] | undefined) => (typeof d === 'object' ? d.sha256 : String(d ?? ''));

/** The record as the API shows it: request flattened back to the body's names, loss curve, links. */
export function presentRetrain(r: JobRecord) {
  const req = r.request as unknown as RetrainRequest;
  const s = req.settings as Record<string, unknown>;
  const detail = r.retrain ?? { phase: 'queued' as const, loss: [] };
  return {
    id: r.id, status: r.status, phase: detail.phase,
    progress: { ...presentProgress(r), fraction: overallFraction(detail.phase, r.progress, r.status === 'succeeded') },
    createdAt: r.createdAt,
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    request: {
      model: req.model, method: String(s.method), bits: Number(s.bits), epochs: Number(s.epochs), seed: Number(s.seed), defense: s.defense ?? 'none',
      data: dataRef(req.dataset), settings: s, audit: req.audit, evalData: dataRef(req.evalDataset),
    },
    loss: detail.loss,
    ...(detail.repairedModel ? { repairedModel: detail.repairedModel } : {}),
    ...(detail.audits ? { audits: detail.audits } : {}),
    ...(r.error ? { error: r.error } : {}),
    links: retrainLinks(r.id, detail.audits),
  };
}
