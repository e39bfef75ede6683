// Transfer attack (black-box setting of the paper; Papernot et al. 2016): PGD crafted on a source model
// (the float twin, or a surrogate the user uploads), scored by the protocol on the target.
// L-inf and L2; defaults are PGD's (40 steps, 0.01 or eps/4, random start); randomness keyed 'transfer'.
import type * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';
import type { Classifier } from '../types';
import type { Attack, RunContext } from './types';
import { Pgd, type PgdSettings } from './pgd';

export class Transfer implements Attack {
  readonly name = 'transfer' as const;
  readonly norms = ['linf', 'l2'] as const;
  private readonly pgd: Pgd;

  constructor(settings: PgdSettings) {
    this.pgd = new Pgd(settings, 'transfer');
  }

  run(_target: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): tf.Tensor4D {
    if (!ctx.source) throw new EngineError('invalid_argument', 'expected opts.source (a model to craft on) for the transfer attack, got none');
    // EOT is for a randomized model under attack: a deterministic source needs one draw per step.
    return this.pgd.run(ctx.source, x, y, eps, { ...ctx, eot: ctx.source.randomized ? ctx.eot : 1 });
  }
}
