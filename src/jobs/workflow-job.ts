// A job as Workflow instances, free of `cloudflare:*` imports so Node tests drive it with a fake binding and step:
// WorkflowJobDriver creates a job's instance and counts queue slots in the store; runWorkflowJob is an instance's body.
import type { JobDeps } from './lifecycle';
import { requestCancel } from './lifecycle';
import { isFinished, readRecord } from './record';
import { countSlots, holdSlots, releaseSlots } from './slots';
import type { JobDriver, JobKind, JobOwner } from './types';
import { runAuditPart } from './workflow-fanout';
import { STEP_CONFIG, runAuditWorkflow, type Fanout, type StepDo } from './workflow-run';
import { runRetrainWorkflow } from './workflow-retrain';
import type { Store } from '../storage/store';

/** The Workflow binding's surface used here (workers-types: `Workflow`). */
export interface WorkflowBinding {
  create(options: { id?: string; params?: unknown }): Promise<{ id: string }>;
  get(id: string): Promise<{ terminate(): Promise<void>; status(): Promise<{ status: string }> }>;
}

/** An instance's job; `part` of `of`: a child instance running every of-th chunk of a fanned-out audit. */
export interface AuditParams { jobId: string; kind?: JobKind; part?: number; of?: number }

/** Creates the instance unless one with this id exists already (it is running or has run the job). */
export async function createOnce(binding: WorkflowBinding, id: string, params: AuditParams): Promise<void> {
  try {
    await binding.create({ id, params });
  } catch (e) {
    if (!/already exists|duplicate/i.test(String((e as Error)?.message))) throw e;
  }
}

/**
 * JobDriver on Workers: one Workflow instance per job, its id the job id (so a second start is a no-op; an audit's
 * instance may start parts of its own). Instances run side by side, so there is no queue to keep fair: each job
 * holds a slot of its tenant and of its client address in the store from start to end, and the API refuses a job
 * past the caps (src/routes/start.ts).
 */
export class WorkflowJobDriver implements JobDriver {
  constructor(private readonly binding: WorkflowBinding, private readonly store: Store) {}

  async start(id: string, kind: JobKind, owner?: JobOwner): Promise<void> {
    // Before the instance exists, so that the instance's release step always comes after.
    if (owner) await holdSlots(this.store, id, owner);
    try {
      await createOnce(this.binding, id, { jobId: id, kind });
    } catch (e) {
      if (owner) await releaseSlots(this.store, id, owner).catch(() => undefined);
      throw e;
    }
  }

  /** Unfinished jobs of the tenant and of the client address, from their slots in the store. */
  pending(owner: JobOwner): Promise<{ tenant: number; client: number }> {
    return countSlots(this.store, owner);
  }

  /** Sets the cancel marker; the running step finishes, the next one sees it and marks the job canceled. */
  async cancel(id: string): Promise<void> {
    await requestCancel(this.store, id);
  }
}

/**
 * An instance's body: a part of a fanned-out audit (the job's own instance gives its slots back), or the audit's or
 * the retraining job's steps, then `release`, which gives the job's queue slots back once its record is finished
 * (every way out of the steps finishes it; a slot left behind is not counted).
 */
export async function runWorkflowJob(
  params: AuditParams, step: StepDo, deps: () => Promise<JobDeps>, o: { now?: () => Date; fanout?: Fanout } = {},
): Promise<'done' | 'stopped' | 'failed'> {
  const { jobId, kind, part, of } = params;
  if (part !== undefined && of !== undefined) return runAuditPart(jobId, part, of, step, deps);
  const now = o.now ?? (() => new Date());
  const out = kind === 'retrain' ? await runRetrainWorkflow(jobId, step, deps, now) : await runAuditWorkflow(jobId, step, deps, { now, fanout: o.fanout });
  try {
    await step.do('release', STEP_CONFIG, async () => {
      const d = await deps();
      const r = await readRecord(d.store, jobId);
      if (r?.owner && isFinished(r)) await releaseSlots(d.store, jobId, r.owner);
      return true;
    });
  } catch {
    // The store stayed down through the retries: the slots are left behind, and countSlots drops them.
  }
  return out;
}
