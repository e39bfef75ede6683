// Where chunks and training steps are computed: the JobExecutor interface, and the inline executor on the current
// thread's engine (Workers, tests, `threads: 0`). The Node thread pool (pool.node.ts) implements the same interface.
import type { AuditContext, AuditSettings, Chunk, ChunkResult } from '../engine/audit';
import { runChunk } from '../engine/audit';
import { heapBytes } from '../engine/backend';
import { openContext } from './inputs';
import type { AuditInputs, OpenContext } from './inputs';
import { openRetrainContext } from './retrain';
import type { RetrainContext, RetrainInputs } from './retrain';

/** A chunk's result, and the engine's memory right after it: its high-water mark in the thread or isolate that ran it. */
export interface ChunkRun {
  result: ChunkResult;
  memoryBytes: number;
}

/** Runs a chunk on this thread's engine and reads its memory (not part of the result, which must be deterministic). */
export async function measureChunk(ctx: AuditContext, chunk: Chunk): Promise<ChunkRun> {
  const result = await runChunk(ctx, chunk);
  return { result, memoryBytes: heapBytes() };
}

export interface ChunkExecutor {
  /** Chunks that may run at once. */
  readonly concurrency: number;
  /** Builds the job's engine context (once per engine instance). */
  open(jobId: string, inputs: AuditInputs, settings: AuditSettings): Promise<void>;
  run(jobId: string, chunk: Chunk): Promise<ChunkRun>;
  /** Frees the job's context; safe to call for a job that was never opened. */
  close(jobId: string): Promise<void>;
}

/** Runs a retraining job's steps: the float model and training data are opened once, then checkpoint bytes go in and out. */
export interface RetrainExecutor {
  openRetrain(jobId: string, inputs: RetrainInputs): Promise<void>;
  step(jobId: string, state: Uint8Array): Promise<Uint8Array>;
  close(jobId: string): Promise<void>;
}

export type JobExecutor = ChunkExecutor & RetrainExecutor;

/** Runs chunks one at a time on this thread's engine (which the caller has started). */
export class InlineExecutor implements JobExecutor {
  readonly concurrency = 1;
  private readonly open_ = new Map<string, OpenContext>();
  private readonly training = new Map<string, RetrainContext>();

  async open(jobId: string, inputs: AuditInputs, settings: AuditSettings): Promise<void> {
    if (!this.open_.has(jobId)) this.open_.set(jobId, openContext(inputs, settings));
  }

  async run(jobId: string, chunk: Chunk): Promise<ChunkRun> {
    const c = this.open_.get(jobId);
    if (!c) throw new Error(`job ${jobId} is not open on this executor`);
    return measureChunk(c.ctx, chunk);
  }

  async openRetrain(jobId: string, inputs: RetrainInputs): Promise<void> {
    if (!this.training.has(jobId)) this.training.set(jobId, openRetrainContext(inputs));
  }

  async step(jobId: string, state: Uint8Array): Promise<Uint8Array> {
    const c = this.training.get(jobId);
    if (!c) throw new Error(`retraining job ${jobId} is not open on this executor`);
    return c.step(state);
  }

  async close(jobId: string): Promise<void> {
    this.open_.get(jobId)?.dispose();
    this.open_.delete(jobId);
    this.training.get(jobId)?.dispose();
    this.training.delete(jobId);
  }
}
