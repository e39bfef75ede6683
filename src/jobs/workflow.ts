// Workers driver: AuditWorkflow runs a job's steps with step.do (durable, retried): an audit's, or a retraining
// job's with its closing audits; WorkflowJobDriver starts and cancels instances through the Workflow binding.
// Export AuditWorkflow from the Worker entry.
import { WorkflowEntrypoint } from 'cloudflare:workers';
import type { WorkflowEvent, WorkflowStep } from 'cloudflare:workers';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import { initEngine } from '../engine/backend';
import { importPrivateKey } from '../attest';
import type { PrivateJwk } from '../attest';
import { S3Store } from '../storage/s3';
import { s3ConfigFromEnv } from '../storage/config';
import { StorageError } from '../storage/store';
import type { Store } from '../storage/store';
import type { JobDeps } from './lifecycle';
import { requestCancel } from './lifecycle';
import { runAuditWorkflow } from './workflow-run';
import { DEFAULT_FANOUT, runAuditPart, workflowFanout, type SpawnPart } from './workflow-fanout';
import { runRetrainWorkflow } from './workflow-retrain';
import type { JobDriver, JobKind } from './types';

/** The Workflow binding's surface used here (workers-types: `Workflow`). */
export interface WorkflowBinding {
  create(options: { id?: string; params?: unknown }): Promise<{ id: string }>;
  get(id: string): Promise<{ terminate(): Promise<void>; status(): Promise<{ status: string }> }>;
}

export interface AuditWorkflowEnv {
  AUDIT_WORKFLOW: WorkflowBinding;
  /** Ed25519 private key as a JWK JSON string (a Workers secret). */
  SIGNING_KEY: string;
  [name: string]: unknown;
}

/** An instance's job; `part` of `of`: a child instance running every of-th chunk of a fanned-out audit. */
export interface AuditParams { jobId: string; kind?: JobKind; part?: number; of?: number }

/** Parts a Workers audit may fan out to: WORKFLOW_FANOUT (validated by src/config.ts at the API), else DEFAULT_FANOUT. */
function fanoutFromEnv(env: Record<string, unknown>): number {
  const n = Number(env.WORKFLOW_FANOUT ?? DEFAULT_FANOUT);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_FANOUT;
}

/** Store, key and chunk memory from the Worker's environment; the built-in MNIST comes from the bucket (`npm run seed`). */
export async function workerDeps(env: AuditWorkflowEnv): Promise<JobDeps> {
  const config = s3ConfigFromEnv(env as Record<string, string | undefined>);
  if (!config) throw new StorageError('invalid_config', 'expected S3_* variables on Workers, got none (there is no embedded store)');
  const signingKey = await importPrivateKey(JSON.parse(env.SIGNING_KEY) as PrivateJwk);
  // CHUNK_MEMORY_MB as the API reads it (src/config.ts, validated there), so the plan refuses nothing the API accepted.
  const mb = Number(env.CHUNK_MEMORY_MB ?? '');
  return { store: new S3Store(config), signingKey, memoryBudget: Number.isInteger(mb) && mb > 0 ? mb * 2 ** 20 : undefined };
}

export class AuditWorkflow extends WorkflowEntrypoint<AuditWorkflowEnv, AuditParams> {
  private deps?: Promise<JobDeps>;

  override async run(event: Readonly<WorkflowEvent<AuditParams>>, step: WorkflowStep): Promise<string> {
    const deps = () => {
      this.deps ??= initEngine(wasm).then(() => workerDeps(this.env));
      return this.deps;
    };
    const { jobId, kind, part, of } = event.payload;
    if (part !== undefined && of !== undefined) return runAuditPart(jobId, part, of, step, deps);
    if (kind === 'retrain') return runRetrainWorkflow(jobId, step, deps);
    const spawn: SpawnPart = (id, k, n) => createOnce(this.env.AUDIT_WORKFLOW, `${id}-p${k}`, { jobId: id, kind: 'audit', part: k, of: n });
    return runAuditWorkflow(jobId, step, deps, { fanout: workflowFanout(fanoutFromEnv(this.env), spawn) });
  }
}

/** Creates the instance unless one with this id exists already (it is running or has run the job). */
async function createOnce(binding: WorkflowBinding, id: string, params: AuditParams): Promise<void> {
  try {
    await binding.create({ id, params });
  } catch (e) {
    if (!/already exists|duplicate/i.test(String((e as Error)?.message))) throw e;
  }
}

/** JobDriver on Workers: one Workflow instance per job, its id the job id (so a second start is a no-op). */
export class WorkflowJobDriver implements JobDriver {
  constructor(private readonly binding: WorkflowBinding, private readonly store: Store) {}

  async start(id: string, kind: JobKind): Promise<void> {
    await createOnce(this.binding, id, { jobId: id, kind });
  }

  /** Sets the cancel marker; the running step finishes, the next one sees it and marks the job canceled. */
  async cancel(id: string): Promise<void> {
    await requestCancel(this.store, id);
  }
}
