// Shared engine types: the classifier every attack sees, norms, and the seeded-randomness contract.
import type * as tf from '@tensorflow/tfjs-core';

export type Norm = 'linf' | 'l2';

/**
 * A differentiable classifier over images in [0, 1], NHWC layout. `logits` must be
 * usable inside `tf.grad` with respect to `x` and must not keep tensors alive.
 */
export interface Classifier {
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  logits(x: tf.Tensor4D): tf.Tensor2D;
}
