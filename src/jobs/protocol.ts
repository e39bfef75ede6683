// Messages between the Node runner and its worker threads (structured-clone data only): audit chunks and training steps.
import type { AuditSettings, Chunk } from '../engine/audit';
import { ClassifiedError } from '../engine/errors';
import type { ErrorJSON } from '../engine/errors';
import { errorFromJSON } from './record';
import type { ChunkRun } from './executor';
import type { AuditInputs } from './inputs';
import type { RetrainInputs } from './retrain';

export type ToWorker =
  | { type: 'open'; jobId: string; inputs: AuditInputs; settings: AuditSettings }
  | { type: 'run'; id: number; jobId: string; chunk: Chunk }
  | { type: 'open-retrain'; jobId: string; inputs: RetrainInputs }
  /** One training step: checkpoint bytes in, the next checkpoint's bytes out ('stepped'). */
  | { type: 'step'; id: number; jobId: string; state: Uint8Array }
  | { type: 'close'; jobId: string };

/** An error crossing the thread boundary, where classes are lost: a typed error as its toJSON(), else name and message. */
export type WireError = ErrorJSON | { name: string; message: string; retryable?: boolean };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; run: ChunkRun }
  | { type: 'stepped'; id: number; state: Uint8Array }
  | { type: 'error'; id: number; error: WireError }
  /** A failure outside a run (engine start, open): every later run of that job fails with it. */
  | { type: 'fatal'; error: WireError };

export function toWire(e: unknown): WireError {
  if (e instanceof ClassifiedError) return e.toJSON();
  const x = e as { name?: unknown; message?: unknown; retryable?: unknown } | null;
  return {
    name: typeof x?.name === 'string' ? x.name : 'Error',
    message: typeof x?.message === 'string' ? x.message : String(e),
    retryable: x?.retryable === true,
  };
}

/** The typed error again (same class, code and category), or a plain Error that keeps `retryable`. */
export function fromWire(w: WireError): Error {
  if ('category' in w) return errorFromJSON(w);
  return Object.assign(new Error(w.message), { name: w.name, retryable: w.retryable });
}
