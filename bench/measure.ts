// Engine-side measurements of the performance bench, each run on one engine instance (one worker thread).
import * as tf from '@tensorflow/tfjs-core';
import { auditParts, createAuditContext, parseSettings, planAudit, runChunk } from '../src/engine/audit';
import type { AuditContext, AuditSettingsInput, Chunk } from '../src/engine/audit';
import { runAttack } from '../src/engine/attacks';
import { batch } from '../src/engine/data/dataset';
import type { Model } from '../src/engine/model/types';
import { MODELS, loadBenchModel, type ModelId } from './models';

/** The shipped CNN (bench/profile.ts and bench/fused.ts use it). */
export const loadModel = (): Model => loadBenchModel('cnn');

export { mnistTest as mnistSamples } from './models';

/** Bytes of the wasm heap (it only grows, so after a run it is that run's peak). */
export function wasmHeapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
}

/** Repeats `f` until `minMs` has passed (at least twice), after one warm-up call; returns ms per call. */
function msPerCall(f: () => void, minMs: number): number {
  f();
  let calls = 0;
  const t0 = performance.now();
  while (calls < 2 || performance.now() - t0 < minMs) {
    f();
    calls++;
  }
  return (performance.now() - t0) / calls;
}

export interface KernelRates {
  /** Images per second through the forward pass (logits read back). */
  forward: number;
  /** Images x PGD steps per second (the real PGD attack through the attack protocol, L-inf, random start). */
  pgd: number;
  /** Wasm heap after both (its peak), summed over the engines measured side by side. */
  heap: number;
}

/** Loads the model and `b` samples, then returns the measurement: forward and PGD throughput, about `seconds` each. */
export async function prepareRates(id: ModelId, b: number, pgdSteps: number, seconds: number): Promise<() => KernelRates> {
  const model = loadBenchModel(id);
  const { x, y } = batch(await MODELS[id].samples(model, b), 0, b);
  return () => kernelRates(model, x, y, pgdSteps, seconds);
}

function kernelRates(model: Model, x: tf.Tensor4D, y: tf.Tensor1D, pgdSteps: number, seconds: number): KernelRates {
  const b = x.shape[0];
  const indices = Array.from({ length: b }, (_, i) => i);
  const fwd = msPerCall(() => tf.tidy(() => void model.logits(x).dataSync()), seconds * 1000);
  const opts = { norm: 'linf' as const, epsilons: [0.3], seed: 0, indices };
  const pgd = msPerCall(() => void runAttack({ name: 'pgd', steps: pgdSteps, stepSize: 0.01 }, model, x, y, opts), seconds * 1000);
  tf.dispose([x, y]);
  model.dispose();
  return { forward: (b * 1000) / fwd, pgd: (b * pgdSteps * 1000) / pgd, heap: wasmHeapBytes() };
}

export interface ChunkMemory {
  chunk: string;
  /** Wasm heap after engine start and model load, and after the chunk (its peak: the heap never shrinks). */
  heapBefore: number;
  heapAfter: number;
  /** V8 heap used by this isolate after the chunk (a Worker's 128 MB counts both). */
  jsHeapAfter: number;
  tensorsBefore: number;
  tensorsAfter: number;
  ms: number;
}

/**
 * Loads the model, the data and the chunk's twin, then returns the measurement: the first chunk of `attack` of the
 * standard audit (lowest-bit twin, largest epsilon) on this fresh engine instance, and its memory.
 */
export async function prepareChunk(id: ModelId, settingsIn: AuditSettingsInput, attack: string): Promise<() => Promise<ChunkMemory>> {
  const settings = parseSettings(settingsIn);
  const model = loadBenchModel(id);
  const data = await MODELS[id].samples(model, settings.limit);
  const ctx = createAuditContext(auditParts(model, data), settings);
  const chunks = planAudit(settings, { modelBits: null, dataSize: data.shape[0] });
  // The lowest-bit twin at the largest epsilon: the longest-running variant of the attack (fewest early stops).
  const last = settings.epsilons[settings.epsilons.length - 1];
  const pick = (c: Chunk) => c.kind === 'attack' && c.attack === attack && c.epsilon === last && c.start === 0 && c.variant === `w${Math.min(...settings.bits)}`;
  const chunk = chunks.find(pick);
  if (!chunk) throw new Error(`expected a chunk of ${attack} in the plan, got none`);
  ctx.variant(chunk.kind === 'attack' ? chunk.variant : 'float');
  return async () => {
    const out = await measureChunk(ctx, chunk);
    ctx.dispose();
    model.dispose();
    return out;
  };
}

async function measureChunk(ctx: AuditContext, chunk: Chunk): Promise<ChunkMemory> {
  const heapBefore = wasmHeapBytes();
  const tensorsBefore = tf.memory().numTensors;
  const t0 = performance.now();
  await runChunk(ctx, chunk);
  const ms = performance.now() - t0;
  return { chunk: chunk.id, heapBefore, heapAfter: wasmHeapBytes(), jsHeapAfter: process.memoryUsage().heapUsed, tensorsBefore, tensorsAfter: tf.memory().numTensors, ms };
}
