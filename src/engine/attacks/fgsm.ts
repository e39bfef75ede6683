// FGSM: Goodfellow, Shlens & Szegedy 2015, "Explaining and Harnessing Adversarial Examples".
// L-inf: x + eps * sign(grad); L2 (the fast gradient method): x + eps * grad / ||grad||_2.
// One gradient step of the cross-entropy (at temperature T when set), no randomness (EOT mean gradient if ctx.eot > 1).
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../types';
import type { Attack, RunContext } from './types';
import { ascent, lossAndGrad } from './common';
import { type LossFn, ceLoss } from './losses';

export class Fgsm implements Attack {
  readonly name = 'fgsm' as const;
  readonly norms = ['linf', 'l2'] as const;

  constructor(private readonly loss: LossFn = ceLoss()) {}

  run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): tf.Tensor4D {
    return tf.tidy(() => {
      const { grad } = lossAndGrad(model, x, y, ctx, ['fgsm', eps], this.loss);
      return tf.add(x, tf.mul(ascent(grad, ctx.norm), eps)) as tf.Tensor4D;
    });
  }
}
