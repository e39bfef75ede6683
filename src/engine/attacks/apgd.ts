// APGD: Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of diverse
// parameter-free attacks" (AutoAttack), as its code runs (fra31/auto-attack, torchattacks apgd.py / apgdt.py).
// L-inf and L2. Losses: cross-entropy (APGD-CE, temperature T optional), DLR (APGD-DLR), targeted DLR (APGD-T:
// one run per target, the classes with the 2nd..(targets+1)-th largest clean logits). Step eta starts at 2 eps,
// momentum 0.75; checkpoint windows are integers: the first max(floor(0.22 N), 1) steps, each next one
// max(floor(0.03 N), 1) shorter, never below max(floor(0.06 N), 1). At a checkpoint eta halves (and the iterate
// restarts from the best point) when at most rho = 0.75 of the window's steps increased the loss (condition 1,
// `<=`) or when eta was not halved at the previous checkpoint and the best loss did not improve (condition 2,
// off at the first checkpoint). As in the code, the first step's loss is compared with 0, not with the start's.
// Per sample throughout; restarts and targets attack only the samples not fooled yet.
// Defaults (APGD_DEFAULTS): 100 iterations, 1 restart, 9 targets (capped at classes - 1).
import * as tf from '@tensorflow/tfjs-core';
import { expect } from '../errors';
import { sampleStreams } from '../rng';
import type { Classifier, Norm } from '../types';
import type { Attack, RunContext } from './types';
import { ascent, fooled, lossAndGrad, project, query, randomStart, select } from './common';
import { type LossFn, ceLoss, dlrLoss, dlrTargetedLoss } from './losses';

export const APGD_DEFAULTS = { steps: 100, restarts: 1, rho: 0.75, momentum: 0.75, initialStepPerEps: 2, targets: 9, temperature: 1 } as const;

export type ApgdVariant = 'apgd' | 'apgd-dlr' | 'apgd-t';

/** The checkpoint iterations (1-based: eta is checked after step w) of the AutoAttack code for N steps. */
export function apgdCheckpoints(n: number): number[] {
  const out: number[] = [];
  let k = Math.max(Math.floor(0.22 * n), 1);
  const decr = Math.max(Math.floor(0.03 * n), 1);
  const min = Math.max(Math.floor(0.06 * n), 1);
  for (let at = k; at <= n; k = Math.max(k - decr, min), at += k) out.push(at);
  return out;
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
    this.eta = new Float64Array(n).fill(APGD_DEFAULTS.initialStepPerEps * eps);
    this.lossBest = Float64Array.from(loss0);
    // The code compares the first step's loss with loss_steps[-1], an unwritten zero.
    this.lossPrev = new Float64Array(n);
    this.increases = new Int32Array(n);
    this.bestAtCheck = Float64Array.from(loss0);
    // reduced_last_check starts true: condition 2 cannot fire at the first checkpoint.
    this.reducedAtCheck = new Uint8Array(n).fill(1);
  }

  /** Records f(x^{i+1}); returns the samples whose best loss improved. */
  record(loss: ArrayLike<number>): Uint8Array {
    const improved = new Uint8Array(loss.length);
    for (let n = 0; n < loss.length; n++) {
      if (loss[n]! > this.lossPrev[n]!) this.increases[n]!++;
      this.lossPrev[n] = loss[n]!;
      if (loss[n]! > this.lossBest[n]!) {
        this.lossBest[n] = loss[n]!;
        improved[n] = 1;
      }
    }
    return improved;
  }

  /** At a checkpoint closing a window of k steps: halves eta where a condition holds; returns those samples. */
  check(k: number): Uint8Array {
    const reduce = new Uint8Array(this.eta.length);
    for (let n = 0; n < reduce.length; n++) {
      const fewIncreases = this.increases[n]! <= APGD_DEFAULTS.rho * k;
      const stalled = !this.reducedAtCheck[n] && this.bestAtCheck[n]! >= this.lossBest[n]!;
      reduce[n] = fewIncreases || stalled ? 1 : 0;
      if (reduce[n]) this.eta[n]! /= 2;
      this.reducedAtCheck[n] = reduce[n]!;
      this.bestAtCheck[n] = this.lossBest[n]!;
      this.increases[n] = 0;
    }
    return reduce;
  }
}

export interface ApgdSettings {
  steps: number;
  restarts: number;
  /** APGD-T: number of target classes tried. */
  targets: number;
  /** APGD-CE: temperature of the cross-entropy. */
  temperature: number;
}

export class Apgd implements Attack {
  readonly norms = ['linf', 'l2'] as const;
  private readonly loss: LossFn;

  constructor(private readonly s: ApgdSettings, readonly name: ApgdVariant = 'apgd') {
    this.loss = name === 'apgd' ? ceLoss(s.temperature) : name === 'apgd-dlr' ? dlrLoss : dlrTargetedLoss;
  }

  run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): tf.Tensor4D {
    // DLR divides by z_pi1 - z_pi3, its targeted form by z_pi1 - (z_pi3 + z_pi4) / 2.
    const need = this.name === 'apgd-t' ? 4 : this.name === 'apgd-dlr' ? 3 : 2;
    expect(model.numClasses >= need, 'invalid_argument', `expected a model with at least ${need} classes for ${this.name}, got ${model.numClasses}`, 'name');
    const n = x.shape[0];
    const done = new Uint8Array(n);
    const out = tf.buffer(x.shape, 'float32', Float32Array.from(x.dataSync() as Float32Array));
    // Targets: the classes ranked 2nd, 3rd, ... by the clean logits (AutoAttack: sort(output)[:, -target_class]).
    const order = this.name === 'apgd-t' ? rankClasses(model, x, ctx) : [];
    const targets = this.name === 'apgd-t' ? Math.min(this.s.targets, model.numClasses - 1) : 1;
    for (let tc = 0; tc < targets; tc++) {
      for (let r = 0; r < this.s.restarts; r++) {
        const rows = Array.from({ length: n }, (_, i) => i).filter((i) => !done[i]);
        if (rows.length === 0) break;
        const target = this.name === 'apgd-t' ? rows.map((i) => order[i]![tc + 1]!) : undefined;
        const { adv, fools } = this.onRows(model, x, y, eps, ctx, rows, [r, tc], target);
        const data = adv.dataSync() as Float32Array;
        adv.dispose();
        const per = data.length / rows.length;
        rows.forEach((i, k) => {
          // The first run that fools a sample wins; a sample never fooled keeps the last run's best-loss point.
          if (fools[k] || (tc === targets - 1 && r === this.s.restarts - 1)) out.values.set(data.subarray(k * per, (k + 1) * per), i * per);
          if (fools[k]) done[i] = 1;
        });
      }
    }
    return out.toTensor() as tf.Tensor4D;
  }

  /** One run of the algorithm on a subset of the batch (randomness stays keyed by the samples' global indices). */
  private onRows(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext, rows: number[], key: number[], target?: number[]) {
    const all = rows.length === x.shape[0];
    const [xs, ys] = all ? [x, y] : tf.tidy(() => {
      const idx = tf.tensor1d(rows, 'int32');
      return [tf.gather(x, idx) as tf.Tensor4D, tf.gather(y, idx) as tf.Tensor1D];
    });
    const sub = all ? ctx : { ...ctx, indices: rows.map((i) => ctx.indices[i]!) };
    const t = target ? tf.tensor1d(target, 'int32') : undefined;
    try {
      return this.once(model, xs, ys, eps, sub, key, t);
    } finally {
      if (!all) tf.dispose([xs, ys]);
      t?.dispose();
    }
  }

  /** One run: the last misclassified iterate where one was found, else the best-loss point. */
  private once(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext, key0: number[], t?: tf.Tensor1D) {
    const key = (i: number | string) => [this.name, eps, ...key0, i];
    const st: Record<'x' | 'old' | 'grad' | 'xBest' | 'gradBest' | 'xFool', tf.Tensor4D> = {} as never;
    const set = (name: keyof typeof st, v: tf.Tensor4D) => {
      if (st[name] !== v) st[name]?.dispose();
      st[name] = v;
    };
    set('x', randomStart(x, eps, ctx.norm, sampleStreams(ctx.seed, key('start'), ctx.indices)));
    const first = lossAndGrad(model, st.x, y, ctx, key(-1), this.loss, t);
    const fools = fooled(first.logits, y);
    const sched = new Schedule(x.shape[0], eps, first.loss.dataSync());
    set('grad', first.grad);
    set('old', tf.clone(st.x));
    set('xBest', tf.clone(st.x));
    set('gradBest', tf.clone(first.grad));
    set('xFool', tf.clone(st.x));
    tf.dispose([first.loss, first.logits]);
    const checks = apgdCheckpoints(this.s.steps);
    let lastCheck = 0;
    for (let i = 0; i < this.s.steps; i++) {
      const next = step(st.x, st.old, st.grad, x, eps, sched.eta, i === 0 ? 1 : APGD_DEFAULTS.momentum, ctx.norm);
      set('old', st.x);
      st.x = next;
      const g = lossAndGrad(model, st.x, y, ctx, key(i), this.loss, t);
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
}

/** z = P(x + eta * ascent); x' = P(x + alpha (z - x) + (1 - alpha)(x - x_old)), per-sample eta. */
function step(xk: tf.Tensor4D, old: tf.Tensor4D, grad: tf.Tensor4D, x: tf.Tensor4D, eps: number, eta: Float64Array, alpha: number, norm: Norm): tf.Tensor4D {
  return tf.tidy(() => {
    const etaT = tf.tensor4d(Array.from(eta), [eta.length, 1, 1, 1]);
    const z = project(tf.add(xk, tf.mul(ascent(grad, norm), etaT)) as tf.Tensor4D, x, eps, norm);
    const moved = tf.add(tf.add(xk, tf.mul(tf.sub(z, xk), alpha)), tf.mul(tf.sub(xk, old), 1 - alpha));
    return project(moved as tf.Tensor4D, x, eps, norm);
  });
}

/** Per sample, the classes by decreasing clean logit. */
function rankClasses(model: Classifier, x: tf.Tensor4D, ctx: RunContext): number[][] {
  const z = tf.tidy(() => query(model, x, ctx, ['apgd-t', 'rank']));
  const v = z.arraySync();
  z.dispose();
  return v.map((row) => row.map((_, j) => j).sort((a, b) => row[b]! - row[a]! || a - b));
}
