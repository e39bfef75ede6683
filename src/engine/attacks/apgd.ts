// APGD-CE: Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of diverse
// parameter-free attacks" (AutoAttack), Algorithm 1. L-inf and L2. Step eta starts at 2 eps, momentum 0.75,
// checkpoints w_j = ceil(p_j N) with p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06);
// at a checkpoint eta halves (and the iterate restarts from the best point) when fewer than rho = 0.75 of the
// steps since the last checkpoint increased the loss, or when eta and the best loss both stayed unchanged.
// Everything is per sample. Defaults: 100 iterations, 1 restart. Random start: uniform in the ball.
import * as tf from '@tensorflow/tfjs-core';
import { sampleStreams } from '../rng';
import type { Classifier, Norm } from '../types';
import type { Attack, RunContext } from './types';
import { ascent, fooled, lossAndGrad, mergeRestart, project, randomStart, select } from './common';

export const APGD_RHO = 0.75;
export const APGD_MOMENTUM = 0.75;

/** The checkpoint iterations w_1 < w_2 < ... <= n of Algorithm 1. */
export function apgdCheckpoints(n: number): number[] {
  const p = [0, 0.22];
  while (p[p.length - 1] < 1) {
    const j = p.length - 1;
    p.push(p[j] + Math.max(p[j] - p[j - 1] - 0.03, 0.06));
  }
  // 1e-9 guards ceil against 0.22 * 100 = 22.000000000000004.
  const w = p.slice(1).map((q) => Math.ceil(q * n - 1e-9)).filter((v) => v >= 1 && v <= n);
  return [...new Set(w)];
}

/** Per-sample bookkeeping of the step-size rule, in plain arrays (one value per sample). */
class Schedule {
  readonly eta: Float64Array;
  readonly lossBest: Float64Array;
  private readonly lossPrev: Float64Array;
  private readonly increases: Int32Array;
  private readonly bestAtCheck: Float64Array;
  private readonly reducedAtCheck: Uint8Array;

  constructor(n: number, eps: number, loss0: ArrayLike<number>) {
    this.eta = new Float64Array(n).fill(2 * eps);
    this.lossBest = Float64Array.from(loss0);
    this.lossPrev = Float64Array.from(loss0);
    this.increases = new Int32Array(n);
    this.bestAtCheck = Float64Array.from(loss0);
    this.reducedAtCheck = new Uint8Array(n);
  }

  /** Records f(x^{i+1}); returns the samples whose best loss improved. */
  record(loss: ArrayLike<number>): Uint8Array {
    const improved = new Uint8Array(loss.length);
    for (let n = 0; n < loss.length; n++) {
      if (loss[n] > this.lossPrev[n]) this.increases[n]++;
      this.lossPrev[n] = loss[n];
      if (loss[n] > this.lossBest[n]) {
        this.lossBest[n] = loss[n];
        improved[n] = 1;
      }
    }
    return improved;
  }

  /** At checkpoint w_j with k = w_j - w_{j-1}: halves eta where the paper's conditions hold; returns those samples. */
  check(k: number): Uint8Array {
    const reduce = new Uint8Array(this.eta.length);
    for (let n = 0; n < reduce.length; n++) {
      const fewIncreases = this.increases[n] < APGD_RHO * k;
      const stalled = !this.reducedAtCheck[n] && this.bestAtCheck[n] >= this.lossBest[n];
      reduce[n] = fewIncreases || stalled ? 1 : 0;
      if (reduce[n]) this.eta[n] /= 2;
      this.reducedAtCheck[n] = reduce[n];
      this.bestAtCheck[n] = this.lossBest[n];
      this.increases[n] = 0;
    }
    return reduce;
  }
}

export class Apgd implements Attack {
  readonly name = 'apgd' as const;
  readonly norms = ['linf', 'l2'] as const;

  constructor(private readonly s: { steps: number; restarts: number }) {}

  run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): tf.Tensor4D {
    const foolsSoFar = new Uint8Array(x.shape[0]);
    let best: tf.Tensor4D | undefined;
    for (let r = 0; r < this.s.restarts; r++) {
      const { adv, fools } = this.once(model, x, y, eps, ctx, r);
      best = mergeRestart(best, foolsSoFar, adv, fools);
      if (foolsSoFar.every((v) => v === 1)) break;
    }
    return best!;
  }

  /** One run of Algorithm 1: the last misclassified iterate where one was found, else the best-loss point. */
  private once(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext, r: number) {
    const key = (i: number | string) => ['apgd', eps, r, i];
    const n = x.shape[0];
    const st: Record<'x' | 'old' | 'grad' | 'xBest' | 'gradBest' | 'xFool', tf.Tensor4D> = {} as never;
    const set = (name: keyof typeof st, t: tf.Tensor4D) => {
      if (st[name] !== t) st[name]?.dispose();
      st[name] = t;
    };
    set('x', randomStart(x, eps, ctx.norm, sampleStreams(ctx.seed, key('start'), ctx.indices)));
    const first = lossAndGrad(model, st.x, y, ctx, key(-1));
    const fools = fooled(first.logits, y);
    const sched = new Schedule(n, eps, first.loss.dataSync());
    set('grad', first.grad);
    set('old', tf.clone(st.x));
    set('xBest', tf.clone(st.x));
    set('gradBest', tf.clone(first.grad));
    set('xFool', tf.clone(st.x));
    tf.dispose([first.loss, first.logits]);
    const checks = apgdCheckpoints(this.s.steps);
    let lastCheck = 0;
    for (let i = 0; i < this.s.steps; i++) {
      const next = this.step(st.x, st.old, st.grad, x, eps, sched.eta, i === 0 ? 1 : APGD_MOMENTUM, ctx.norm);
      set('old', st.x);
      st.x = next;
      const g = lossAndGrad(model, st.x, y, ctx, key(i));
      set('grad', g.grad);
      const f = fooled(g.logits, y);
      set('xFool', select(f, st.x, st.xFool));
      f.forEach((v, m) => (fools[m] = fools[m] || v));
      const improved = sched.record(g.loss.dataSync());
      tf.dispose([g.loss, g.logits]);
      set('xBest', select(improved, st.x, st.xBest));
      set('gradBest', select(improved, st.grad, st.gradBest));
      if (checks.includes(i + 1)) {
        const reduce = sched.check(i + 1 - lastCheck);
        lastCheck = i + 1;
        // "Restart from the best point" on halving: the iterate and its gradient.
        const xr = select(reduce, st.xBest, st.x);
        const gr = select(reduce, st.gradBest, st.grad);
        st.x.dispose();
        st.x = xr;
        set('grad', gr);
      }
    }
    const adv = select(fools, st.xFool, st.xBest);
    tf.dispose(Object.values(st));
    return { adv, fools };
  }

  /** z = P(x + eta * ascent); x' = P(x + alpha (z - x) + (1 - alpha)(x - x_old)), per-sample eta. */
  private step(
    xk: tf.Tensor4D, old: tf.Tensor4D, grad: tf.Tensor4D, x: tf.Tensor4D,
    eps: number, eta: Float64Array, alpha: number, norm: Norm,
  ): tf.Tensor4D {
    return tf.tidy(() => {
      const etaT = tf.tensor4d(Array.from(eta), [eta.length, 1, 1, 1]);
      const z = project(tf.add(xk, tf.mul(ascent(grad, norm), etaT)) as tf.Tensor4D, x, eps, norm);
      const moved = tf.add(tf.add(xk, tf.mul(tf.sub(z, xk), alpha)), tf.mul(tf.sub(xk, old), 1 - alpha));
      return project(moved as tf.Tensor4D, x, eps, norm);
    });
  }
}
