// Audit test helpers: a tiny real model (Flatten + Dense) and a data set it labels itself.
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel } from '../../../src/engine/model';
import type { Graph, Model } from '../../../src/engine/model';
import type { Dataset } from '../../../src/engine/data/types';
import { Rng } from '../../../src/engine/rng';
import { auditParts, createAuditContext, parseSettings, planAudit, runChunk } from '../../../src/engine/audit';
import type { AuditContext, AuditSettingsInput, Chunk, ChunkResult } from '../../../src/engine/audit';
import type { Classifier } from '../../../src/engine/types';

export const H = 4;
export const CLASSES = 3;

/** A linear classifier on 4x4x1 images with seeded weights (a real GraphModel: real quantize, summary, weights). */
export function linearModel(seed = 1, scale = 1): Model {
  const graph: Graph = {
    name: 'tiny',
    input: { name: 'input', shape: [H, H, 1] },
    imageShape: [H, H, 1],
    nodes: [
      { name: 'flatten', className: 'Flatten', op: { type: 'flatten' }, inputs: ['input'] },
      { name: 'dense', className: 'Dense', op: { type: 'dense', units: CLASSES, useBias: true, act: { fn: 'linear' } }, inputs: ['flatten'] },
    ],
    output: 'dense',
    removedSoftmax: false,
    preprocess: null,
  };
  const r = new Rng(seed, 'weights');
  const k = Array.from({ length: H * H * CLASSES }, () => (r.next() - 0.5) * 2 * scale);
  return new GraphModel(graph, { 'dense/kernel': tf.tensor2d(k, [H * H, CLASSES]), 'dense/bias': tf.zeros([CLASSES]) });
}

/** n random uint8 images labelled by `teacher` (so the teacher is 100% accurate on them). */
export function teacherData(teacher: Classifier, n: number, seed = 2): Dataset {
  const r = new Rng(seed, 'data');
  const x = Uint8Array.from({ length: n * H * H }, () => r.int(256));
  const y = tf.tidy(() => tf.argMax(teacher.logits(tf.div(tf.tensor4d(x, [n, H, H, 1], 'float32'), 255) as tf.Tensor4D), 1).dataSync());
  return { name: 'synthetic', x, y: Int32Array.from(y), shape: [n, H, H, 1] };
}

/** Small attack budgets so that a whole audit of the tiny model takes a second or two. */
export const FAST: AuditSettingsInput = { steps: 10, stepSize: 0.05, queries: 30, restarts: 1 };

/** Runs every chunk of the plan; returns the chunks, results and the context (caller disposes it). */
export async function runAll(model: Model, data: Dataset, input: AuditSettingsInput, surrogate?: Classifier) {
  const settings = parseSettings(input);
  const ctx: AuditContext = createAuditContext(auditParts(model, data, surrogate), settings);
  const chunks: Chunk[] = planAudit(settings, { modelBits: model.summary.bits, dataSize: data.shape[0], surrogate: !!surrogate });
  const results: ChunkResult[] = [];
  for (const c of chunks) results.push(await runChunk(ctx, c));
  return { settings, ctx, chunks, results };
}
