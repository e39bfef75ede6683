// DIVA (arXiv 2204.10933): an attack on the divergence between a model and its adapted (here: quantized) edge
// version, as METHOD.md operationalises it. Within eps, PGD ascends
// CE(q(x'), y) - c * CE(f(x'), y): the quantized twin q (the attacked model) is pushed off the label while the
// float model f (ctx.source) is held on it, so the found inputs are failures that only quantization causes.
// L-inf and L2; PGD's schedule and defaults (40 steps, 0.01 or eps/4, random start), c = 1 (METHOD.md).
// Restarts keep, per sample, the first restart where q is wrong and f right.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';
import { sampleStreams } from '../rng';
import type { Classifier } from '../types';
import type { Attack, RunContext } from './types';
import { ascent, crossEntropy, fooled, mergeRestart, project, query, randomStart } from './common';
import { PGD_DEFAULTS, type PgdSettings, pgdStep } from './pgd';

export const DIVA_DEFAULTS = { ...PGD_DEFAULTS, c: 1 } as const;

export class Diva implements Attack {
  readonly name = 'diva' as const;
  readonly norms = ['linf', 'l2'] as const;

  constructor(private readonly s: Omit<PgdSettings, 'loss'> & { c: number }) {}

  run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): tf.Tensor4D {
    const float = ctx.source;
    if (!float) throw new EngineError('invalid_argument', 'expected opts.source (the float model to stay correct) for DIVA, got none');
    const done = new Uint8Array(x.shape[0]);
    let best: tf.Tensor4D | undefined;
    for (let r = 0; r < this.s.restarts; r++) {
      const cand = this.once(model, float, x, y, eps, ctx, r);
      const qWrong = wrong(model, cand, y, ctx, ['diva', eps, r, 'check']);
      const fWrong = wrong(float, cand, y, ctx, ['diva', eps, r, 'check-f']);
      const diverged = qWrong.map((v, i) => (v && !fWrong[i] ? 1 : 0));
      best = mergeRestart(best, done, cand, diverged);
      if (done.every((v) => v === 1)) break;
    }
    return best!;
  }

  private once(q: Classifier, f: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext, r: number): tf.Tensor4D {
    const a = pgdStep(ctx.norm, eps, this.s.stepSize);
    let xAdv = this.s.randomStart
      ? randomStart(x, eps, ctx.norm, sampleStreams(ctx.seed, ['diva', eps, r, 'start'], ctx.indices))
      : tf.clone(x);
    for (let t = 0; t < this.s.steps; t++) {
      const next = tf.tidy(() => {
        const loss = (xx: tf.Tensor) => {
          const key = ['diva', eps, r, t];
          const lq = crossEntropy(query(q, xx as tf.Tensor4D, ctx, key), y);
          const lf = crossEntropy(query(f, xx as tf.Tensor4D, ctx, [...key, 'f']), y);
          return tf.sum(tf.sub(lq, tf.mul(lf, this.s.c)));
        };
        const grad = tf.grad(loss)(xAdv) as tf.Tensor4D;
        return project(tf.add(xAdv, tf.mul(ascent(grad, ctx.norm), a)) as tf.Tensor4D, x, eps, ctx.norm);
      });
      xAdv.dispose();
      xAdv = next;
    }
    return xAdv;
  }
}

function wrong(m: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, ctx: RunContext, key: (string | number)[]): Uint8Array {
  const z = query(m, x, ctx, key);
  try {
    return fooled(z, y);
  } finally {
    z.dispose();
  }
}
