// Runs one chunk of the plan: a deterministic function of (model, data slice, settings, seed). Samples go
// through micro-batches aligned to global indices, so the chunk size never changes a floating-point result.
import * as tf from '@tensorflow/tfjs-core';
import type { AttackSpec } from '../attacks/types';
import { expect } from '../errors';
import { eachMicroBatch, forward } from './context';
import type { AuditContext } from './context';
import type { AttackChunk, Chunk, CleanChunk, TransferChunk } from './plan';
import { planGuards } from './plan';
import { clfKey } from './results';
import type { AttackResult, ChunkResult, CleanResult, Example, TransferResult } from './results';
import { MICRO_BATCH } from './settings';
import { attackSpec } from './settings';
import type { AuditSettings } from './settings';
import { runLayers, runSanity } from './probes';
import { argmax, logitError, looksLikeProbability, rowNorms } from './tensors';

export async function runChunk(ctx: AuditContext, chunk: Chunk): Promise<ChunkResult> {
  if (chunk.kind === 'layers') return runLayers(ctx, chunk);
  const n = Math.min(ctx.settings.limit, ctx.data.shape[0]);
  expect(chunk.start % MICRO_BATCH === 0 && chunk.start < chunk.end && chunk.end <= n, 'invalid_argument',
    `expected a chunk range aligned to ${MICRO_BATCH} within [0, ${n}), got ${chunk.start}-${chunk.end}`);
  switch (chunk.kind) {
    case 'clean': return runClean(ctx, chunk);
    case 'attack': return runAttackChunk(ctx, chunk);
    case 'transfer': return runTransfer(ctx, chunk);
    case 'sanity': return runSanity(ctx, chunk);
  }
}

async function runClean(ctx: AuditContext, chunk: CleanChunk): Promise<CleanResult> {
  const guards = planGuards(ctx.settings).filter((g) => !g.adaptive);
  const out: CleanResult = { kind: 'clean', id: chunk.id, start: chunk.start, end: chunk.end, labels: [], predicted: {}, logitError: {}, probability: [] };
  const push = <T>(rec: Record<string, T[]>, key: string, xs: T[]) => (rec[key] ??= []).push(...xs);
  await eachMicroBatch(ctx, chunk.start, chunk.end, (x, _y, indices, labels) => {
    out.labels.push(...labels);
    tf.tidy(() => {
      const zRef = forward(ctx.variant(ctx.reference), x, ctx.settings.seed, ['clean'], indices);
      out.probability.push(...looksLikeProbability(zRef));
      for (const v of ctx.variants) {
        for (const g of guards) {
          const z = g.defense === 'none' ? (v.name === ctx.reference ? zRef : forward(ctx.variant(v.name), x, ctx.settings.seed, ['clean'], indices))
            : forward(ctx.classifier(v.name, g.defense, false), x, ctx.settings.seed, ['clean'], indices);
          push(out.predicted, clfKey(v.name, g.defense), argmax(z));
          if (g.defense === 'none' && v.name !== ctx.reference) push(out.logitError, v.name, logitError(z, zRef));
        }
      }
    });
  });
  return out;
}

async function runAttackChunk(ctx: AuditContext, chunk: AttackChunk): Promise<AttackResult> {
  const s = ctx.settings;
  const clf = ctx.classifier(chunk.variant, chunk.defense, chunk.adaptive);
  const eot = chunk.adaptive && clf.randomized ? s.eot : 1;
  const bare = chunk.defense === 'none';
  const diva = chunk.attack === 'diva';
  // DIVA keeps the reference (behind the same defense) correct while it attacks the twin.
  const source = diva ? ctx.classifier(ctx.reference, chunk.defense, chunk.adaptive) : undefined;
  const out: AttackResult = {
    kind: 'attack', id: chunk.id, start: chunk.start, end: chunk.end,
    correct: [], predicted: [], amplification: [], others: {}, examples: [],
    ...(diva ? { reference: [] } : {}),
  };
  await eachMicroBatch(ctx, chunk.start, chunk.end, async (x, y, indices, labels) => {
    const keep = bare || diva ? indices.length : 0;
    const opts = { norm: s.norm, epsilons: [chunk.epsilon], seed: s.seed, indices, eot, keep, source };
    const [r] = await ctx.runAttack(attackSpec(s, chunk.attack), clf, x, y, opts);
    expect(r && r.correct.length === indices.length, 'engine_failure', `expected one attack result of ${indices.length} samples, got ${r?.correct.length}`);
    out.correct.push(...(Array.from(r.correct) as (0 | 1)[]));
    out.predicted.push(...Array.from(r.predicted));
    if (r.queries) (out.queries ??= []).push(...Array.from(r.queries));
    if (source) {
      expect(r.examples?.length === x.size, 'engine_failure', `expected ${x.size} adversarial pixels, got ${r.examples?.length}`);
      out.reference!.push(...tf.tidy(() => argmax(forward(source, tf.tensor4d(r.examples!, x.shape), s.seed, ['diva', chunk.epsilon, 'reference'], indices))));
    }
    if (!bare) return;
    expect(r.examples?.length === x.size, 'engine_failure', `expected ${x.size} adversarial pixels, got ${r.examples?.length}`);
    tf.tidy(() => {
      const adv = tf.tensor4d(r.examples!, x.shape);
      const key = [chunk.attack, chunk.epsilon];
      const z0 = forward(clf, x, s.seed, ['clean'], indices);
      const z1 = forward(clf, adv, s.seed, key, indices);
      const dz = rowNorms(tf.sub(z1, z0));
      const dx = rowNorms(tf.reshape(tf.sub(adv, x), [indices.length, -1]));
      out.amplification.push(...dz.map((d, i) => (dx[i]! > 0 ? d / dx[i]! : null)));
      for (const w of chunk.others) (out.others[w] ??= []).push(...argmax(forward(ctx.variant(w), adv, s.seed, key, indices)));
      out.examples.push(...examples(x, r.examples!, labels, Array.from(r.predicted), indices, chunk.start + chunk.examples));
    });
  });
  return out;
}

/** The samples with global index < `upTo`, as display pixels 0-255. */
function examples(x: tf.Tensor4D, adv: Float32Array, labels: number[], pred: number[], indices: number[], upTo: number): Example[] {
  const per = x.size / indices.length;
  const orig = x.dataSync();
  const px = (a: ArrayLike<number>, i: number) => Array.from({ length: per }, (_, j) => Math.round(a[i * per + j]! * 255));
  return indices.flatMap((index, i) =>
    index < upTo ? [{ index, label: labels[i]!, adversarialPrediction: pred[i]!, original: px(orig, i), adversarial: px(adv, i) }] : [],
  );
}

async function runTransfer(ctx: AuditContext, chunk: TransferChunk): Promise<TransferResult> {
  const s = ctx.settings;
  const source = chunk.source === 'surrogate' ? ctx.surrogate : ctx.variant(ctx.reference);
  expect(source, 'invalid_argument', 'expected a surrogate classifier in the audit context for the transfer chunk, got none');
  const out: TransferResult = { kind: 'transfer', id: chunk.id, start: chunk.start, end: chunk.end, sourcePredicted: [], correct: {}, predicted: {} };
  await eachMicroBatch(ctx, chunk.start, chunk.end, async (x, y, indices, labels) => {
    // Crafted once on the source (the attack's target is the source itself), then scored on every target.
    const opts = { norm: s.norm, epsilons: [chunk.epsilon], seed: s.seed, indices, eot: 1, source, keep: indices.length };
    const [r] = await ctx.runAttack(attackSpec(s, 'transfer'), source, x, y, opts);
    expect(r?.examples?.length === x.size, 'engine_failure', `expected ${x.size} adversarial pixels, got ${r?.examples?.length}`);
    out.sourcePredicted.push(...Array.from(r.predicted));
    tf.tidy(() => {
      const adv = tf.tensor4d(r.examples!, x.shape);
      for (const t of chunk.targets) {
        const key = clfKey(t.variant, t.defense);
        const pred = argmax(forward(ctx.classifier(t.variant, t.defense, false), adv, s.seed, ['transfer', chunk.epsilon], indices));
        (out.predicted[key] ??= []).push(...pred);
        (out.correct[key] ??= []).push(...pred.map((p, i) => (p === labels[i] ? 1 : 0) as 0 | 1));
      }
    });
  });
  return out;
}
