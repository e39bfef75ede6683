// Where chunks are computed: the ChunkExecutor interface, and the inline executor on the current thread's engine
// (Workers, tests, `threads: 0`). The Node thread pool (pool.node.ts) implements the same interface.
import { runChunk } from '../engine/audit';
import type { AuditSettings, Chunk, ChunkResult } from '../engine/audit';
import { openContext } from './inputs';
import type { AuditInputs, OpenContext } from './inputs';

export interface ChunkExecutor {
  /** Chunks that may run at once. */
  readonly concurrency: number;
  /** Builds the job's engine context (once per engine instance). */
  open(jobId: string, inputs: AuditInputs, settings: AuditSettings): Promise<void>;
  run(jobId: string, chunk: Chunk): Promise<ChunkResult>;
  /** Frees the job's context; safe to call for a job that was never opened. */
  close(jobId: string): Promise<void>;
}

/** Runs chunks one at a time on this thread's engine (which the caller has started). */
export class InlineExecutor implements ChunkExecutor {
  readonly concurrency = 1;
  private readonly open_ = new Map<string, OpenContext>();

  async open(jobId: string, inputs: AuditInputs, settings: AuditSettings): Promise<void> {
    if (!this.open_.has(jobId)) this.open_.set(jobId, openContext(inputs, settings));
  }

  async run(jobId: string, chunk: Chunk): Promise<ChunkResult> {
    const c = this.open_.get(jobId);
    if (!c) throw new Error(`job ${jobId} is not open on this executor`);
    return runChunk(c.ctx, chunk);
  }

  async close(jobId: string): Promise<void> {
    this.open_.get(jobId)?.dispose();
    this.open_.delete(jobId);
  }
}
