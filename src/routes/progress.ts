// A job's progress as the API shows it: what is being run and when it ends only while it runs, and for retraining
// jobs one overall fraction that never falls when the per-phase counters restart (training steps, then chunks).
import type { JobProgress, JobRecord } from '../jobs/types';

/**
 * Shares of the overall fraction per retraining phase. Fixed rather than measured: the audits' chunk count is
 * known only once they are planned, and a fraction re-weighted then would jump back.
 */
export const PHASE_SHARES = { queued: [0, 0], training: [0, 0.5], auditing: [0.5, 0.95], reporting: [0.95, 0.99], done: [1, 1] } as const;
export type RetrainPhase = keyof typeof PHASE_SHARES;

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Drops `current` and `etaSeconds` once the job is no longer running (a finished job runs nothing and ends never);
 * the measures of its chunks (`lastChunk`, `memory`) stay.
 */
export function presentProgress(r: JobRecord): JobProgress {
  const { done, total, current, etaSeconds, lastChunk, memory } = r.progress;
  const measures = { ...(lastChunk ? { lastChunk } : {}), ...(memory ? { memory } : {}) };
  if (r.status !== 'running' && r.status !== 'queued') return { done, total, ...measures };
  return { done, total, ...(current !== undefined ? { current } : {}), ...(etaSeconds !== undefined ? { etaSeconds } : {}), ...measures };
}

/** The retraining job's overall fraction in [0, 1], monotone over the phases; 1 only when it succeeded. */
export function overallFraction(phase: RetrainPhase, p: { done: number; total: number }, succeeded: boolean): number {
  if (succeeded) return 1;
  const [from, to] = PHASE_SHARES[phase];
  const within = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  return round(Math.min(0.99, from + (to - from) * within));
}
