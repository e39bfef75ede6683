// An exact elementwise sign; the wasm backend's Sign kernel is not.
import * as tf from '@tensorflow/tfjs-core';

/**
 * sign(x) in {-1, 0, +1}, exact for every float. The wasm backend's Sign kernel returns 0 for small nonzero
 * inputs (seen for |x| <= 1e-9), which silently zeroes FGSM/PGD steps on confidently classified samples.
 */
export function sign(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32')));
}
