// Small per-sample reductions used by the chunk runner; each reads its result back as plain numbers.
import * as tf from '@tensorflow/tfjs-core';

/** Predicted class per row. */
export function argmax(z: tf.Tensor2D): number[] {
  return tf.tidy(() => Array.from(tf.argMax(z, 1).dataSync()));
}

/** ||row||_2 per row of a 2-D tensor. */
export function rowNorms(t: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.sqrt(tf.sum(tf.square(t), 1)).dataSync()));
}

/** ||z - ref||_2 / ||ref||_2 per row (METHOD.md, relative logit error); 0 / 0 is taken as 0. */
export function logitError(z: tf.Tensor2D, ref: tf.Tensor2D): number[] {
  const num = rowNorms(tf.sub(z, ref));
  const den = rowNorms(ref);
  return num.map((a, i) => (a === 0 ? 0 : a / den[i]!));
}

/**
 * 1 where a row lies in [0, 1] and sums to 1 within 1e-3: the model outputs probabilities, so attacks
 * that expect logits see saturated, near-zero gradients.
 */
export function looksLikeProbability(z: tf.Tensor2D): (0 | 1)[] {
  return tf.tidy(() => {
    const inRange = tf.logicalAnd(tf.greaterEqual(tf.min(z, 1), 0), tf.lessEqual(tf.max(z, 1), 1));
    const sumsToOne = tf.lessEqual(tf.abs(tf.sub(tf.sum(z, 1), 1)), 1e-3);
    return Array.from(tf.logicalAnd(inRange, sumsToOne).dataSync()).map((b) => (b ? 1 : 0));
  });
}
