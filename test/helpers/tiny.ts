// Tiny classifiers built directly from tensors for engine tests: a seeded synthetic task and two models
// (linear, one-hidden-layer MLP) fitted on it in well under a second; deterministic given their seeds.
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../../src/engine/ops';
import { Rng } from '../../src/engine/rng';
import type { Classifier } from '../../src/engine/types';

export interface TaskSpec {
  classes: number;
  /** Images are size x size x 1. */
  size: number;
  seed: number;
  /** Per-pixel class signal: x = clip(0.5 + contrast * p_k + noise * N(0, 1), lo, hi), p_k in {-1, 1}^D. */
  contrast?: number;
  noise?: number;
  lo?: number;
  hi?: number;
}

export interface Samples {
  x: Float32Array;
  y: Int32Array;
  n: number;
  shape: [number, number, number];
}

/** Samples [from, from + n): sample i is drawn from its own stream, so any range is reproducible. */
export function samples(t: TaskSpec, from: number, n: number): Samples {
  const d = t.size * t.size;
  const protos = Array.from({ length: t.classes }, (_, k) => {
    const r = new Rng(t.seed, 'proto', k);
    return Float32Array.from({ length: d }, () => (r.next() < 0.5 ? -1 : 1));
  });
  const [c, s, lo, hi] = [t.contrast ?? 0.15, t.noise ?? 0.1, t.lo ?? 0, t.hi ?? 1];
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = new Rng(t.seed, 'sample', from + i);
    y[i] = r.int(t.classes);
    for (let j = 0; j < d; j++) x[i * d + j] = Math.min(hi, Math.max(lo, 0.5 + c * protos[y[i]][j] + s * r.normal()));
  }
  return { x, y, n, shape: [t.size, t.size, 1] };
}

/** Fresh tensors of samples [from, to); the caller disposes them. */
export function tensors(s: Samples, from = 0, to = s.n): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const d = s.shape[0] * s.shape[1] * s.shape[2];
  return {
    x: tf.tensor4d(s.x.slice(from * d, to * d), [to - from, ...s.shape]),
    y: tf.tensor1d(s.y.slice(from, to), 'int32'),
  };
}

export interface TinyModel extends Classifier {
  /** The weight tensors, [w1, b1] (linear) or [w1, b1, w2, b2] (MLP). */
  readonly weights: tf.Tensor[];
  dispose(): void;
}

export interface FitOptions {
  seed: number;
  /** Hidden units; 0 (default) makes a linear model. */
  hidden?: number;
  steps?: number;
  lr?: number;
  /** Fit through an input mapping (e.g. a defense's g), so clean accuracy holds with g in place. */
  transform?: (x: tf.Tensor4D) => tf.Tensor4D;
}

function init(r: Rng, rows: number, cols: number): tf.Variable {
  const v = Float32Array.from({ length: rows * cols }, () => r.normal() / Math.sqrt(rows));
  return tf.variable(tf.tensor2d(v, [rows, cols]));
}

/** Bias that centres a layer at the mid-grey image (inputs ~0.5): no hidden unit starts dead for all inputs. */
function centred(w: tf.Variable): tf.Variable {
  return tf.variable(tf.tidy(() => tf.mul(tf.sum(w, 0), -0.5)));
}

function forward(ws: tf.Tensor[], x: tf.Tensor4D): tf.Tensor2D {
  const flat = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  if (ws.length === 2) return dense(flat, ws[0] as tf.Tensor2D, ws[1] as tf.Tensor1D);
  const h = tf.relu(dense(flat, ws[0] as tf.Tensor2D, ws[1] as tf.Tensor1D));
  return dense(h, ws[2] as tf.Tensor2D, ws[3] as tf.Tensor1D);
}

/** Full-batch Adam on the cross-entropy; deterministic (seeded init, no shuffling). */
export function fit(data: Samples, classes: number, o: FitOptions): TinyModel {
  const d = data.shape[0] * data.shape[1] * data.shape[2];
  const r = new Rng(o.seed, 'init');
  const hidden = o.hidden ?? 0;
  const w1 = init(r, d, hidden > 0 ? hidden : classes);
  const vars = hidden > 0
    ? [w1, centred(w1), init(r, hidden, classes), tf.variable(tf.zeros([classes]))]
    : [w1, tf.variable(tf.zeros([classes]))];
  const { x, y } = tensors(data);
  const opt = tf.train.adam(o.lr ?? 0.02);
  const input = o.transform ? tf.tidy(() => o.transform!(x)) : x;
  const onehot = tf.oneHot(y, classes);
  for (let s = 0; s < (o.steps ?? 100); s++) {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, forward(vars, input)) as tf.Scalar, false, vars);
  }
  opt.dispose();
  const weights = vars.map((v) => tf.clone(v));
  tf.dispose([...vars, x, y, input, onehot]);
  return {
    inputShape: data.shape,
    numClasses: classes,
    weights,
    logits: (xx: tf.Tensor4D) => tf.tidy(() => forward(weights, xx)),
    dispose: () => tf.dispose(weights),
  };
}

/** Fraction of samples classified correctly. */
export function accuracy(model: Classifier, s: Samples): number {
  const ok = tf.tidy(() => {
    const { x, y } = tensors(s);
    return tf.sum(tf.cast(tf.equal(tf.argMax(model.logits(x), 1), y), 'float32'));
  });
  const v = ok.dataSync()[0] / s.n;
  ok.dispose();
  return v;
}
