// Workers driver: AuditWorkflow runs a job's steps with step.do (durable, retried): an audit's (fanned out over child
// instances), a part of one, or a retraining job's with its closing audits (workflow-job.ts, where WorkflowJobDriver
// starts and cancels instances). Export AuditWorkflow from the Worker entry.
import { WorkflowEntrypoint } from 'cloudflare:workers';
import type { WorkflowEvent, WorkflowStep } from 'cloudflare:workers';
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import kernels from '../engine/kernels/kernels.wasm';
import { initEngine } from '../engine/backend';
import { importPrivateKey } from '../attest';
import type { PrivateJwk } from '../attest';
import { S3Store } from '../storage/s3';
import { s3ConfigFromEnv } from '../storage/config';
import { StorageError } from '../storage/store';
import { configFromEnv } from '../config';
import type { JobDeps } from './lifecycle';
import { DEFAULT_FANOUT, workflowFanout, type SpawnPart } from './workflow-fanout';
import { createOnce, runWorkflowJob, type AuditParams, type WorkflowBinding } from './workflow-job';

export { WorkflowJobDriver, type AuditParams, type WorkflowBinding } from './workflow-job';

export interface AuditWorkflowEnv {
  AUDIT_WORKFLOW: WorkflowBinding;
  /** Ed25519 private key as a JWK JSON string (a Workers secret). */
  SIGNING_KEY: string;
  [name: string]: unknown;
}

/** Store, key, chunk memory and job time limit from the Worker's environment; the built-in MNIST comes from the bucket (`npm run seed`). */
export async function workerDeps(env: AuditWorkflowEnv): Promise<JobDeps> {
  const config = s3ConfigFromEnv(env as Record<string, string | undefined>);
  if (!config) throw new StorageError('invalid_config', 'expected S3_* variables on Workers, got none (there is no embedded store)');
  const signingKey = await importPrivateKey(JSON.parse(env.SIGNING_KEY) as PrivateJwk);
  // CHUNK_MEMORY_MB and MAX_JOB_SECONDS as the API and the Node driver read them (one parse, src/config.ts), so the
  // plan refuses nothing the API accepted.
  const { limits } = configFromEnv(env);
  return { store: new S3Store(config), signingKey, memoryBudget: limits.chunkMemoryBytes, maxJobSeconds: limits.jobSeconds };
}

export class AuditWorkflow extends WorkflowEntrypoint<AuditWorkflowEnv, AuditParams> {
  private deps?: Promise<JobDeps>;

  override async run(event: Readonly<WorkflowEvent<AuditParams>>, step: WorkflowStep): Promise<string> {
    const deps = () => {
      this.deps ??= initEngine(wasm, kernels).then(() => workerDeps(this.env));
      return this.deps;
    };
    const spawn: SpawnPart = (id, k, n) => createOnce(this.env.AUDIT_WORKFLOW, `${id}-p${k}`, { jobId: id, kind: 'audit', part: k, of: n });
    const parts = configFromEnv(this.env).limits.workflowFanout ?? DEFAULT_FANOUT;
    return runWorkflowJob(event.payload, step, deps, { fanout: workflowFanout(parts, spawn) });
  }
}
