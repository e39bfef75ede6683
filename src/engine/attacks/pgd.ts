// PGD: Madry et al. 2018, "Towards Deep Learning Models Resistant to Adversarial Attacks".
// L-inf and L2; random start in the ball; `steps` ascent steps of `stepSize` on the loss (cross-entropy, at
// temperature T when set; CW for the `cw` attack), each projected back onto the ball and [0, 1]; `restarts`
// (per sample: the first restart that fools, else the last).
// Defaults (MNIST, PGD_DEFAULTS): 40 steps, step 0.01 (L-inf) or eps/4 (L2), random start, 1 restart, T = 1.
import * as tf from '@tensorflow/tfjs-core';
import { sampleStreams } from '../rng';
import type { Classifier, Norm } from '../types';
import type { Attack, AttackName, RunContext } from './types';
import { ascent, fooled, lossAndGrad, mergeRestart, project, query, randomStart } from './common';
import { ceLoss, type LossFn } from './losses';

export const PGD_DEFAULTS = {
  steps: 40,
  /** Absolute step at L-inf; at L2 the step is `l2PerEps` x eps. */
  stepSize: { linf: 0.01, l2PerEps: 0.25 },
  restarts: 1,
  randomStart: true,
  /** Temperature of the cross-entropy (1: plain CE). */
  temperature: 1,
} as const;

export interface PgdSettings {
  steps: number;
  /** Absolute step; undefined means the norm's default (PGD_DEFAULTS.stepSize). */
  stepSize?: number;
  restarts: number;
  randomStart: boolean;
  /** The loss to ascend; cross-entropy by default. */
  loss?: LossFn;
}

export function pgdStep(norm: Norm, eps: number, stepSize?: number): number {
  return stepSize ?? (norm === 'linf' ? PGD_DEFAULTS.stepSize.linf : PGD_DEFAULTS.stepSize.l2PerEps * eps);
}

export class Pgd implements Attack {
  readonly norms = ['linf', 'l2'] as const;
  private readonly loss: LossFn;

  /** `name` keys the randomness, so the transfer and CW attacks draw their own numbers. */
  constructor(
    private readonly s: PgdSettings,
    readonly name: AttackName = 'pgd',
  ) {
    this.loss = s.loss ?? ceLoss();
  }

  run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): tf.Tensor4D {
    const foolsSoFar = new Uint8Array(x.shape[0]);
    let best: tf.Tensor4D | undefined;
    for (let r = 0; r < this.s.restarts; r++) {
      const cand = this.once(model, x, y, eps, ctx, r);
      const z = query(model, cand, ctx, [this.name, eps, r, 'check']);
      const f = fooled(z, y);
      z.dispose();
      best = mergeRestart(best, foolsSoFar, cand, f);
      if (foolsSoFar.every((v) => v === 1)) break;
    }
    return best!;
  }

  private once(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext, r: number): tf.Tensor4D {
    const a = pgdStep(ctx.norm, eps, this.s.stepSize);
    let xAdv = this.s.randomStart
      ? randomStart(x, eps, ctx.norm, sampleStreams(ctx.seed, [this.name, eps, r, 'start'], ctx.indices))
      : tf.clone(x);
    for (let t = 0; t < this.s.steps; t++) {
      const next = tf.tidy(() => {
        const { grad } = lossAndGrad(model, xAdv, y, ctx, [this.name, eps, r, t], this.loss);
        return project(tf.add(xAdv, tf.mul(ascent(grad, ctx.norm), a)) as tf.Tensor4D, x, eps, ctx.norm);
      });
      xAdv.dispose();
      xAdv = next;
    }
    return xAdv;
  }
}
