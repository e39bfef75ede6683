// Training losses: mean cross-entropy and the temperature-scaled distillation KL of METHOD.md.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../attacks/common';

/** Mean over the batch of logsumexp(z) - z_y. */
export function meanCrossEntropy(z: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(crossEntropy(z, y)) as tf.Scalar);
}

/**
 * T^2 * mean_n KL(softmax(zTeacher / T) || softmax(zStudent / T)) (Hinton et al. 2015; the T^2 keeps the
 * gradient scale independent of T). The teacher's logits are constants.
 */
export function distillation(zTeacher: tf.Tensor2D, zStudent: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(tf.div(zTeacher, temperature));
    const logQ = tf.logSoftmax(tf.div(zStudent, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1);
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}
