// Boundary samples (METHOD.md): few-step PGD on the float model from x, then bisection between x and the
// first adversarial iterate until the float prediction flips; x_b is the last point with the true label.
import * as tf from '@tensorflow/tfjs-core';
import { fooled, lossAndGrad, project, select } from '../attacks/common';
import { sign } from '../ops';
import type { RunContext } from '../attacks/types';
import type { Classifier } from '../types';

export interface BoundaryOptions {
  /** L-inf radius of the PGD search (eps_b). */
  eps: number;
  /** PGD steps from x (no random start: boundary samples need no randomness). */
  steps: number;
  stepSize: number;
  /** Bisection stops when the L-inf distance between the two ends is at most this. */
  tolerance: number;
}

export interface BoundarySamples {
  /** x_b: the last point with the model's prediction equal to y (see `found`). */
  boundary: tf.Tensor4D;
  /** The other end of the final bracket: the prediction is not y there, within `tolerance` of x_b. */
  far: tf.Tensor4D;
  /**
   * 1 where PGD flipped the prediction within eps, so x_b is a bracketed boundary point. 0 where it did not:
   * x_b (and `far`) is then the PGD endpoint, the hardest point found that keeps the true label.
   */
  found: Uint8Array;
  /** 1 where the model already misclassifies x: x_b = far = x. */
  wrongAtX: Uint8Array;
}

/** PGD ascent from x; per sample, the first iterate whose prediction is not y (else the endpoint). */
function firstAdversarial(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, o: BoundaryOptions) {
  const n = x.shape[0];
  const ctx: RunContext = { norm: 'linf', seed: 0, indices: Array.from({ length: n }, (_, i) => i), eot: 1 };
  const found = new Uint8Array(n);
  let wrongAtX = new Uint8Array(n);
  let cur = tf.clone(x);
  let first = tf.clone(x);
  for (let t = 0; t <= o.steps; t++) {
    const isLast = t === o.steps;
    const lg = isLast ? undefined : lossAndGrad(model, cur, y, ctx, ['boundary', t]);
    const z = lg ? lg.logits : model.logits(cur);
    const flips = fooled(z, y);
    if (t === 0) wrongAtX = flips.slice();
    const newly = flips.map((f, i) => (f && !found[i] ? 1 : 0));
    if (newly.some((v) => v) || isLast) {
      // The endpoint stands in for samples PGD never flipped.
      const take = isLast ? newly.map((v, i) => (v || !found[i] ? 1 : 0)) : newly;
      const next = select(take, cur, first);
      first.dispose();
      first = next;
    }
    newly.forEach((v, i) => (found[i] ||= v));
    if (isLast || found.every((v) => v)) {
      tf.dispose(lg ? [lg.grad, lg.loss, lg.logits] : [z]);
      break;
    }
    const next = tf.tidy(() => project(tf.add(cur, tf.mul(sign(lg!.grad), o.stepSize)) as tf.Tensor4D, x, o.eps, 'linf'));
    tf.dispose([cur, lg!.grad, lg!.loss, lg!.logits]);
    cur = next;
  }
  cur.dispose();
  return { first, found, wrongAtX };
}

/** Boundary samples of a batch on `model` (the frozen float model); the caller disposes both tensors. */
export function boundarySamples(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, o: BoundaryOptions): BoundarySamples {
  const n = x.shape[0];
  const { first, found, wrongAtX } = firstAdversarial(model, x, y, o);
  const d = tf.sub(first, x) as tf.Tensor4D;
  first.dispose();
  const len = tf.tidy(() => tf.max(tf.abs(d), [1, 2, 3]).dataSync().slice() as Float32Array);
  // Bracket [lo, hi] along x + t d: the true label at lo, not at hi. Unbracketed samples sit at t = 1.
  const lo = Float64Array.from(found, (f, i) => (f && !wrongAtX[i] ? 0 : 1));
  const hi = new Float64Array(n).fill(1);
  const at = (t: ArrayLike<number>) =>
    tf.tidy(() => tf.clipByValue(tf.add(x, tf.mul(d, tf.tensor4d(Float32Array.from(t), [n, 1, 1, 1]))), 0, 1) as tf.Tensor4D);
  const open = () => Array.from(lo, (l, i) => (hi[i]! - l) * len[i]! > o.tolerance);
  for (let todo = open(); todo.some(Boolean); todo = open()) {
    const mid = Float64Array.from(lo, (l, i) => (todo[i] ? (l + hi[i]!) / 2 : l));
    const p = at(mid);
    const z = model.logits(p);
    const flips = fooled(z, y);
    tf.dispose([p, z]);
    todo.forEach((o, i) => {
      if (o) (flips[i] ? hi : lo)[i] = mid[i]!;
    });
  }
  const out = { boundary: at(lo), far: at(hi), found: Uint8Array.from(found, (f, i) => (f && !wrongAtX[i] ? 1 : 0)), wrongAtX };
  d.dispose();
  return out;
}
