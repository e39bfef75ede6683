// Losses the gradient attacks ascend, per sample on logits: cross-entropy (optionally at a temperature T), the CW
// margin (Carlini & Wagner 2017, as in Madry et al.'s MNIST challenge code) and DLR, untargeted and targeted
// (Croce & Hein 2020). Margin losses matter for low-bit models whose softmax saturates (Gupta & Ajanthan 2020).
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from './common';

import type { LossFn } from './types';

export type { LossFn } from './types';
export type LossName = 'ce' | 'cw' | 'dlr' | 'dlr-targeted';

/** kappa of the CW loss: the margin beyond which a misclassified sample stops pulling (Madry et al. use 50). */
export const CW_KAPPA = 50;

const hot = (idx: tf.Tensor, k: number) => tf.oneHot(tf.cast(idx, 'int32'), k);
/** z at the per-sample class `idx` (a one-hot product, so the gradient flows through mul and sum only). */
const at = (z: tf.Tensor2D, idx: tf.Tensor) => tf.sum(tf.mul(z, hot(idx, z.shape[1])), 1);
/** max_{j != y} z_j. */
const maxOther = (z: tf.Tensor2D, y: tf.Tensor1D) => tf.max(tf.sub(z, tf.mul(hot(y, z.shape[1]), 1e30)), 1);

/** Cross-entropy of z / T: T > 1 un-saturates a softmax whose gradients vanish. */
export function ceLoss(temperature = 1): LossFn {
  return (z, y) => crossEntropy(temperature === 1 ? z : (tf.div(z, temperature) as tf.Tensor2D), y);
}

/** -max(z_y - max_{j!=y} z_j, -kappa): ascending it lowers the true logit's margin until it is kappa below. */
export const cwLoss: LossFn = (z, y) => tf.neg(tf.relu(tf.add(tf.sub(at(z, y), maxOther(z, y)), CW_KAPPA))) as tf.Tensor1D;

/**
 * The k largest logits per row, as [N] tensors with gradients: the ranks are read as numbers (tfjs has no TopK
 * gradient and no stop-gradient), the values taken through one-hots, so the gradient is that of torch's sort.
 */
function sortedDesc(z: tf.Tensor2D, k: number): tf.Tensor1D[] {
  const [n, m] = z.shape;
  const v = z.dataSync();
  const ranks = Array.from({ length: n }, (_, r) => Array.from({ length: m }, (_, j) => j).sort((a, b) => v[r * m + b]! - v[r * m + a]! || a - b));
  return Array.from({ length: k }, (_, i) => at(z, tf.tensor1d(ranks.map((row) => row[i]!), 'int32')) as tf.Tensor1D);
}

/** DLR = -(z_y - max_{j!=y} z_j) / (z_pi1 - z_pi3): invariant to shifting and scaling the logits. */
export const dlrLoss: LossFn = (z, y) => {
  const [p1, , p3] = sortedDesc(z, 3);
  return tf.div(tf.neg(tf.sub(at(z, y), maxOther(z, y))), tf.add(tf.sub(p1!, p3!), 1e-12)) as tf.Tensor1D;
};

/** Targeted DLR = -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2) (AutoAttack's APGD-T). */
export const dlrTargetedLoss: LossFn = (z, y, t) => {
  if (!t) throw new Error('expected target classes for the targeted DLR loss, got none');
  const [p1, , p3, p4] = sortedDesc(z, 4);
  const den = tf.add(tf.sub(p1!, tf.mul(tf.add(p3!, p4!), 0.5)), 1e-12);
  return tf.div(tf.neg(tf.sub(at(z, y), at(z, t))), den) as tf.Tensor1D;
};

export function lossFn(name: LossName, temperature = 1): LossFn {
  switch (name) {
    case 'ce': return ceLoss(temperature);
    case 'cw': return cwLoss;
    case 'dlr': return dlrLoss;
    case 'dlr-targeted': return dlrTargetedLoss;
  }
}
