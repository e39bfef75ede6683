// The memory plan of a chunk: from the model's weights and per-sample activation bytes, the largest micro-batch
// whose forward + backward pass fits a budget (128 MB per Workers isolate by default), or a refusal when one
// sample cannot fit.
import { EngineError } from '../errors';
import type { ModelSummary } from '../model/types';
import { MICRO_BATCHES, type AuditSettings } from './settings';

/** One Workers isolate's memory. */
export const DEFAULT_MEMORY_BUDGET = 128 * 2 ** 20;
/** The engine itself: wasm module, heap slack, JS of the runtime (measured: ~16 MB of wasm heap before any model). */
const ENGINE_BYTES = 24 * 2 ** 20;
/**
 * Bytes per sample of a gradient pass over activationBytes (which counts each activation and its gradient once):
 * the tape also keeps the inputs of elementwise ops (BatchNorm's, ReLU6's masks) and an attack keeps x, x_adv and
 * the gradient. Measured 2.0-2.1 on MobileNetV2 224x224x3 (wasm heap growth per sample of an input gradient).
 */
const ATTACK_OVERHEAD = 2.1;

export interface MemoryPlan {
  microBatch: number;
  /** Estimated peak bytes of a chunk at that micro-batch. */
  peakBytes: number;
  budgetBytes: number;
}

/** Peak bytes of a chunk: the engine, the upload and each twin's weights, and one micro-batch's activations. */
export function chunkBytes(summary: Pick<ModelSummary, 'parameters' | 'activationBytes'>, variants: number, microBatch: number): number {
  return ENGINE_BYTES + 4 * summary.parameters * variants + Math.ceil(ATTACK_OVERHEAD * microBatch * (summary.activationBytes ?? 0));
}

/**
 * The largest allowed micro-batch, at most the chunk's size, that fits `budget`; a limit_exceeded error naming the
 * sizes when none does.
 */
export function planMemory(summary: Pick<ModelSummary, 'parameters' | 'activationBytes'>, variants: number, budget = DEFAULT_MEMORY_BUDGET, chunkSize = Infinity): MemoryPlan {
  const fits = MICRO_BATCHES.filter((m) => m <= Math.max(chunkSize, 1)).reverse().find((m) => chunkBytes(summary, variants, m) <= budget);
  if (fits === undefined) {
    const need = chunkBytes(summary, variants, 1);
    const mb = (b: number) => `${Math.ceil(b / 2 ** 20)} MB`;
    throw new EngineError('limit_exceeded', `expected one sample of this model with ${variants} variant(s) to fit the chunk memory budget of ${mb(budget)}, got an estimated ${mb(need)} (weights ${mb(4 * summary.parameters * variants)}, activations ${mb(summary.activationBytes ?? 0)} per sample); audit fewer bit widths or raise the budget`);
  }
  return { microBatch: fits, peakBytes: chunkBytes(summary, variants, fits), budgetBytes: budget };
}

/** Settings with the micro-batch fixed: the caller's choice, else the plan's (stored with the job, so every runtime uses it). */
export function withMicroBatch(settings: AuditSettings, summary: Pick<ModelSummary, 'parameters' | 'activationBytes'>, variants: number, budget?: number): AuditSettings {
  const plan = planMemory(summary, variants, budget, settings.chunkSize);
  return { ...settings, microBatch: settings.microBatch ?? plan.microBatch };
}
