// Shared engine types: the classifier every attack sees, norms, and the seeded-randomness contract.
import type * as tf from '@tensorflow/tfjs-core';

export type Norm = 'linf' | 'l2';

/**
 * Which random draw a randomized classifier must use for one query: sample n of the batch
 * draws from a stream keyed by (seed, ...key, indices[n]), so a sample's randomness never
 * depends on the other samples of its batch. Deterministic classifiers ignore it.
 */
export interface Draw {
  readonly seed: number;
  /** Purpose of the query, e.g. ['pgd', eps, restart, step, eotSample]; distinct queries use distinct keys. */
  readonly key: readonly (string | number)[];
  /** Global indices of the batch's samples in the data set. */
  readonly indices: readonly number[];
}

/**
 * A differentiable classifier over images in [0, 1], NHWC layout. `logits` must be
 * usable inside `tf.grad` with respect to `x` and must not keep tensors alive.
 */
export interface Classifier {
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /**
   * true when `logits` is random (e.g. the `random` input mapping of the defense): gradient
   * attacks must then use EOT (AttackOptions.eot > 1) and every caller should pass `draw`.
   * Without `draw` a randomized classifier falls back to key ['default'] and batch positions.
   */
  readonly randomized?: boolean;
  logits(x: tf.Tensor4D, draw?: Draw): tf.Tensor2D;
}
