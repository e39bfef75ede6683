// Messages between the Node runner and its worker threads (structured-clone data only): audit chunks and training steps.
import type { AuditSettings, Chunk, ChunkResult } from '../engine/audit';
import type { AuditInputs } from './inputs';
import type { RetrainInputs } from './retrain';

export type ToWorker =
  | { type: 'open'; jobId: string; inputs: AuditInputs; settings: AuditSettings }
  | { type: 'run'; id: number; jobId: string; chunk: Chunk }
  | { type: 'open-retrain'; jobId: string; inputs: RetrainInputs }
  /** One training step: checkpoint bytes in, the next checkpoint's bytes out ('stepped'). */
  | { type: 'step'; id: number; jobId: string; state: Uint8Array }
  | { type: 'close'; jobId: string };

/** An error crossing the thread boundary: class lost, so its name and code travel as data (see errorInfo). */
export interface WireError { name: string; code?: string; message: string; retryable?: boolean }

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: ChunkResult }
  | { type: 'stepped'; id: number; state: Uint8Array }
  | { type: 'error'; id: number; error: WireError }
  /** A failure outside a run (engine start, open): every later run of that job fails with it. */
  | { type: 'fatal'; error: WireError };

export function toWire(e: unknown): WireError {
  const x = e as { name?: unknown; code?: unknown; message?: unknown; retryable?: unknown } | null;
  return {
    name: typeof x?.name === 'string' ? x.name : 'Error',
    code: typeof x?.code === 'string' ? x.code : undefined,
    message: typeof x?.message === 'string' ? x.message : String(e),
    retryable: x?.retryable === true,
  };
}

/** Rebuilds a throwable with the wire fields, which errorInfo and isTransient read. */
export function fromWire(w: WireError): Error {
  return Object.assign(new Error(w.message), { name: w.name, code: w.code, retryable: w.retryable });
}
