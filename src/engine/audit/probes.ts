// Sanity probes (PGD at a very large epsilon, zero input gradients, BPDA through activation fake quantization) and per-layer weight statistics
// (relative quantization error, spectral norm by power iteration) for the report's flags and companions.
import * as tf from '@tensorflow/tfjs-core';
import { isKernelKey } from '../model/ir';
import { bpdaActivations } from '../model/model';
import { Rng } from '../rng';
import { eachMicroBatch, forward } from './context';
import type { AuditContext } from './context';
import type { LayersChunk, SanityChunk } from './plan';
import type { LayerStat, LayersResult, SanityResult } from './results';
import { crossEntropy } from '../attacks/common';
import { attackSpec } from './settings';

/** PGD steps of the large-epsilon probe; the step is 2.5 * eps / steps (Madry et al.), enough to cross the ball. */
export const SANITY_STEPS = 20;
/** Power-iteration rounds for spectral norms (fixed, for deterministic results). */
export const POWER_ITERATIONS = 100;

export async function runSanity(ctx: AuditContext, chunk: SanityChunk): Promise<SanityResult> {
  const s = ctx.settings;
  const clf = ctx.classifier(chunk.variant, chunk.defense, chunk.adaptive);
  const [h, w, c] = clf.inputShape;
  // At L-inf 1 (or the L2 diameter of [0, 1]^d) every image is reachable: accuracy must be near zero.
  const largeEpsilon = s.norm === 'linf' ? 1 : Math.sqrt(h * w * c);
  const out: SanityResult = { kind: 'sanity', id: chunk.id, start: chunk.start, end: chunk.end, largeEpsilon, largeEpsilonCorrect: 0, zeroGradient: 0 };
  let normSum = 0;
  await eachMicroBatch(ctx, chunk.start, chunk.end, async (x, y, indices) => {
    const spec = { name: 'pgd' as const, steps: SANITY_STEPS, stepSize: (2.5 * largeEpsilon) / SANITY_STEPS, restarts: 1 };
    const eot = chunk.adaptive && clf.randomized ? s.eot : 1;
    const [r] = await ctx.runAttack(spec, clf, x, y, { norm: s.norm, epsilons: [largeEpsilon], seed: s.seed, indices, eot });
    out.largeEpsilonCorrect += r!.correct.reduce((a, b) => a + b, 0);
    const [zero, norms] = tf.tidy(() => {
      const g = tf.reshape(tf.grad((xx: tf.Tensor) => tf.sum(crossEntropy(forward(clf, xx as tf.Tensor4D, s.seed, ['sanity'], indices), y)))(x), [indices.length, -1]);
      const peak = tf.max(tf.abs(g), 1);
      return [Array.from(peak.dataSync()).filter((m) => m === 0).length, Array.from(tf.norm(g, 'euclidean', 1).dataSync())] as const;
    });
    out.zeroGradient += zero;
    normSum += norms.reduce((a, b) => a + b, 0);
  });
  // The masking check compares this across variants: a twin's gradients orders of magnitude below the float's.
  out.gradientNorm = normSum / (chunk.end - chunk.start);
  if (chunk.defense === 'none') out.activationQuant = await activationBpda(ctx, chunk);
  return out;
}

/**
 * A model with activation fake quantization (ONNX activation QDQ) is attacked through the straight-through
 * estimator; this probe runs the audit's PGD at its largest epsilon both ways, the estimator and BPDA (identity),
 * on the same samples: BPDA finding many more adversarial examples means clipping masks the gradients.
 */
async function activationBpda(ctx: AuditContext, chunk: SanityChunk): Promise<SanityResult['activationQuant']> {
  const model = ctx.variant(chunk.variant);
  const bpda = model.graph ? bpdaActivations(model) : null;
  if (!bpda) return undefined;
  const s = ctx.settings;
  const epsilon = Math.max(...s.epsilons);
  const out = { epsilon, steCorrect: 0, bpdaCorrect: 0 };
  await eachMicroBatch(ctx, chunk.start, chunk.end, async (x, y, indices) => {
    const opts = { norm: s.norm, epsilons: [epsilon], seed: s.seed, indices };
    const [ste] = await ctx.runAttack(attackSpec(s, 'pgd'), model, x, y, opts);
    const [through] = await ctx.runAttack(attackSpec(s, 'pgd'), bpda, x, y, opts);
    out.steCorrect += ste!.correct.reduce((a, b) => a + b, 0);
    out.bpdaCorrect += through!.correct.reduce((a, b) => a + b, 0);
  });
  return out;
}

/** Kernels of a model (dense, conv, depthwise, pointwise; biases and BatchNorm stay float and are skipped). */
function kernels(weights: tf.NamedTensorMap): [string, tf.Tensor][] {
  return Object.keys(weights)
    .filter((k) => isKernelKey(k) && weights[k]!.rank >= 2)
    .map((k) => [k, weights[k]!]);
}

export function runLayers(ctx: AuditContext, chunk: LayersChunk): LayersResult {
  const ref = ctx.variant(ctx.reference);
  const layers: LayerStat[] = [];
  for (const v of ctx.variants) {
    const m = ctx.variant(v.name);
    if (!m.weights) continue; // a fake or foreign model without weight access: no layer table
    for (const [name, wq] of kernels(m.weights)) {
      const w0 = ref.weights[name];
      const relativeError = v.name === ctx.reference || !w0 ? null : relativeFrobenius(wq, w0);
      const spectralNorm = spectral(wq, new Rng(ctx.settings.seed, 'spectral', name));
      // A stride-1 conv applies the [kh*kw*cin, cout] matrix to each patch; each pixel is in at most kh*kw
      // patches, so ||conv|| <= sqrt(kh*kw) * sigma (Tsuzuku et al. 2018).
      const factor = wq.rank === 4 ? Math.sqrt(wq.shape[0]! * wq.shape[1]!) : 1;
      layers.push({ variant: v.name, name, shape: wq.shape, relativeError, spectralNorm, lipschitzBound: factor * spectralNorm });
    }
  }
  return { kind: 'layers', id: chunk.id, layers };
}

function relativeFrobenius(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const den = tf.norm(b).dataSync()[0]!;
    const num = tf.norm(tf.sub(a, b)).dataSync()[0]!;
    return den === 0 ? (num === 0 ? 0 : Infinity) : num / den;
  });
}

/** Largest singular value of the kernel as a [fan_in, fan_out] matrix, by power iteration from a seeded start. */
export function spectral(w: tf.Tensor, rng: Rng): number {
  return tf.tidy(() => {
    const cols = w.shape[w.rank - 1]!;
    const m = tf.reshape(w, [-1, cols]) as tf.Tensor2D;
    const mt = tf.transpose(m); // explicit transpose: transposed matMul is slow on wasm (PLATFORM.md)
    let v: tf.Tensor2D = tf.tensor2d(Array.from({ length: cols }, () => rng.next() - 0.5), [cols, 1]);
    let sigma = 0;
    for (let i = 0; i < POWER_ITERATIONS; i++) {
      const next = tf.tidy(() => {
        const u = tf.matMul(m, v);
        const uu = tf.div(u, tf.maximum(tf.norm(u), 1e-30));
        const vv = tf.matMul(mt, uu);
        const s = tf.norm(vv);
        return { v: tf.div(vv, tf.maximum(s, 1e-30)) as tf.Tensor2D, s };
      });
      v.dispose();
      v = next.v;
      if (i === POWER_ITERATIONS - 1) sigma = next.s.dataSync()[0]!;
      next.s.dispose();
    }
    return sigma;
  });
}
