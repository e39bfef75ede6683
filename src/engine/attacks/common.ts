// Shared pieces of the gradient attacks: keyed queries, losses, EOT gradients, epsilon-ball projections.
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Norm } from '../types';
import { type Rng, normalPerSample as normal, uniformPerSample as uniform } from '../rng';
import type { RunContext } from './types';
import type { LossFn } from './types';
import { sign } from '../ops';

export type Key = readonly (string | number)[];

/** One forward pass; a randomized model draws its randomness from (ctx.seed, key, global index). */
export function query(model: Classifier, x: tf.Tensor4D, ctx: RunContext, key: Key): tf.Tensor2D {
  return model.logits(x, { seed: ctx.seed, key, indices: ctx.indices });
}

/**
 * Per-sample cross-entropy on logits, -log softmax(z)_y, with an exact gradient. Its gradient is softmax(z) - onehot;
 * the y component p_y - 1 is computed as -(sum of the other p_j), because for a confidently classified sample
 * p_y rounds to 1 in float32 and p_y - 1 is rounding noise, which would point FGSM/PGD in a noise direction.
 */
export function crossEntropy(z: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  const ce = tf.customGrad(((logits: tf.Tensor, save: tf.GradSaveFunc) => {
    const onehot = tf.oneHot(tf.cast(y, 'int32'), logits.shape[1]!);
    save([logits, onehot]);
    return {
      value: tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1)),
      gradFunc: (dy: tf.Tensor, [saved, hot]: tf.Tensor[]) => {
        const others = tf.mul(tf.softmax(saved!), tf.sub(1, hot!));
        const g = tf.sub(others, tf.mul(hot!, tf.sum(others, 1, true)));
        return tf.mul(g, tf.expandDims(dy, 1));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return ce(z) as tf.Tensor1D;
}

/** Per-sample margin z_y - max_{j != y} z_j (Square attack): <= 0 means misclassified. */
export function margin(z: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.cast(y, 'int32'), z.shape[1]);
    const zy = tf.sum(tf.mul(z, onehot), 1);
    const others = tf.max(tf.sub(z, tf.mul(onehot, 1e30)), 1);
    return tf.sub(zy, others) as tf.Tensor1D;
  });
}

export interface LossGrad {
  /** Gradient of the summed loss, i.e. each sample's own gradient (EOT mean). */
  grad: tf.Tensor4D;
  /** Per-sample loss (EOT mean). */
  loss: tf.Tensor1D;
  /** Logits (EOT mean), for the per-sample success check. */
  logits: tf.Tensor2D;
}

const ce: LossFn = (z, y) => crossEntropy(z, y);

/**
 * A per-sample loss (cross-entropy unless given; `t` are targets of a targeted loss) summed over the batch and
 * its gradient; with ctx.eot > 1 the mean over ctx.eot draws (Athalye et al. 2018, EOT), draw e keyed by [...key, e].
 */
export function lossAndGrad(
  model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, ctx: RunContext, key: Key, loss: LossFn = ce, t?: tf.Tensor1D,
): LossGrad {
  if (ctx.eot === 1) return lossAndGradOnce(model, x, y, ctx, key, loss, t);
  return tf.tidy(() => {
    let grad: tf.Tensor = tf.zerosLike(x);
    let total: tf.Tensor = tf.zeros([x.shape[0]]);
    let logits: tf.Tensor = tf.zeros([x.shape[0], model.numClasses]);
    for (let e = 0; e < ctx.eot; e++) {
      let z: tf.Tensor2D | undefined;
      const f = (xx: tf.Tensor) => {
        z = tf.keep(query(model, xx as tf.Tensor4D, ctx, [...key, e]));
        return loss(z, y, t);
      };
      const { value, grad: g } = tf.valueAndGrad(f)(x);
      grad = tf.add(grad, g);
      total = tf.add(total, value);
      logits = tf.add(logits, z!);
      z!.dispose();
    }
    return {
      grad: tf.div(grad, ctx.eot) as tf.Tensor4D,
      loss: tf.div(total, ctx.eot) as tf.Tensor1D,
      logits: tf.div(logits, ctx.eot) as tf.Tensor2D,
    };
  });
}

/** One draw: the gradient of the loss and its logits as they are (no sums or means over draws to build). */
function lossAndGradOnce(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, ctx: RunContext, key: Key, loss: LossFn, t?: tf.Tensor1D): LossGrad {
  return tf.tidy(() => {
    let z: tf.Tensor2D | undefined;
    const { value, grad } = tf.valueAndGrad((xx: tf.Tensor) => {
      z = tf.keep(query(model, xx as tf.Tensor4D, ctx, [...key, 0]));
      return loss(z, y, t);
    })(x);
    // z was kept so it outlives the gradient's own scope; a clone (same data, no copy) is owned by this tidy.
    const logits = tf.clone(z!);
    z!.dispose();
    return { grad: grad as tf.Tensor4D, loss: value as tf.Tensor1D, logits };
  });
}

/** Per-sample L2 norm as a [N, 1, 1, 1] tensor. */
export function l2norm(t: tf.Tensor4D): tf.Tensor4D {
  return tf.sqrt(tf.sum(tf.square(t), [1, 2, 3], true)) as tf.Tensor4D;
}

/** t / ||t||_2 per sample; zero rows stay zero. */
export function normalizeL2(t: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(t, tf.maximum(l2norm(t), 1e-12)) as tf.Tensor4D);
}

/** The steepest-ascent direction of a gradient under `norm`: sign (L-inf) or unit vector (L2). */
export function ascent(grad: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  return norm === 'linf' ? (sign(grad) as tf.Tensor4D) : normalizeL2(grad);
}

/** Projects xAdv onto the epsilon ball around x (L-inf clamp, L2 rescale), then onto [0, 1]. */
export function project(xAdv: tf.Tensor4D, x: tf.Tensor4D, eps: number, norm: Norm): tf.Tensor4D {
  return tf.tidy(() => {
    let d = tf.sub(xAdv, x) as tf.Tensor4D;
    if (norm === 'linf') d = tf.clipByValue(d, -eps, eps);
    else d = tf.mul(d, tf.minimum(1, tf.div(eps, tf.maximum(l2norm(d), 1e-12)))) as tf.Tensor4D;
    return tf.clipByValue(tf.add(x, d), 0, 1) as tf.Tensor4D;
  });
}

/** A uniform random point of the epsilon ball per sample, from the samples' own streams. */
export function randomStart(x: tf.Tensor4D, eps: number, norm: Norm, streams: readonly Rng[]): tf.Tensor4D {
  return tf.tidy(() => {
    const shape = x.shape.slice(1);
    if (norm === 'linf') return project(tf.add(x, uniform(streams, shape, -eps, eps)) as tf.Tensor4D, x, eps, norm);
    // Uniform in the L2 ball: a Gaussian direction, radius eps * u^(1/d).
    const d = shape.reduce((a, b) => a * b, 1);
    const dir = normalizeL2(normal(streams, shape) as tf.Tensor4D);
    const r = tf.mul(eps, tf.pow(uniform(streams, [1, 1, 1], 0, 1), 1 / d));
    return project(tf.add(x, tf.mul(dir, r)) as tf.Tensor4D, x, eps, norm);
  });
}

/** Per sample, a where flags[n] is set, else b (an exact 0/1 blend: tf.where would tile the mask). */
export function select(flags: ArrayLike<number | boolean>, a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const m = tf.tensor4d(Array.from(flags, (f) => (f ? 1 : 0)), [flags.length, 1, 1, 1]);
    return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m))) as tf.Tensor4D;
  });
}

/** Per-sample "misclassified" flags from logits. */
export function fooled(z: tf.Tensor2D, y: tf.Tensor1D): Uint8Array {
  const wrong = tf.tidy(() => tf.notEqual(tf.argMax(z, 1), tf.cast(y, 'int32')));
  const out = Uint8Array.from(wrong.dataSync() as Uint8Array);
  wrong.dispose();
  return out;
}

/**
 * Restarts: per sample, keep the first restart that fools, else the last one.
 * Takes ownership of `best` and `cand` and returns the merged result.
 */
export function mergeRestart(
  best: tf.Tensor4D | undefined,
  bestFooled: Uint8Array,
  cand: tf.Tensor4D,
  candFooled: Uint8Array,
): tf.Tensor4D {
  if (!best) {
    bestFooled.set(candFooled);
    return cand;
  }
  const out = select(bestFooled, best, cand);
  tf.dispose([best, cand]);
  candFooled.forEach((f, n) => (bestFooled[n] = bestFooled[n] || f));
  return out;
}
