// Forward functions of the IR ops on tfjs, built on src/engine/ops so that their fast gradients apply. Tensors
// carry the batch axis; attributes count axes without it.
import * as tf from '@tensorflow/tfjs-core';
import { avgPool, conv2d, dense, depthwiseConv2d, maxPool, type FusedActivation } from '../ops';
import { fakeQuant } from './fake-quant';
import type { Act, Node, Op, Pad2D } from './ir';

export type WeightOf = (role: string) => tf.Tensor;

export function activate(x: tf.Tensor, a: Act): tf.Tensor {
  switch (a.fn) {
    case 'linear': return x;
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'softmax': return tf.softmax(x);
    case 'selu': return tf.selu(x);
    case 'softplus': return tf.softplus(x);
    case 'swish': return tf.mul(x, tf.sigmoid(x));
    case 'gelu': return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'exponential': return tf.exp(x);
    case 'softsign': return tf.div(x, tf.add(1, tf.abs(x)));
    case 'leaky': return tf.leakyRelu(x, a.alpha);
    case 'elu': return a.alpha === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(a.alpha, tf.sub(tf.exp(x), 1)));
    case 'hardSigmoid': return a.keras3 ? tf.div(tf.relu6(tf.add(x, 3)), 6) : tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'hardSwish': return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    case 'reluX': return reluX(x, a.max, a.slope, a.threshold);
  }
}

/** Keras ReLU: max_value above, x from threshold on, negative_slope * (x - threshold) below it. */
function reluX(x: tf.Tensor, max: number | null, slope: number, threshold: number): tf.Tensor {
  let y: tf.Tensor;
  if (threshold === 0 && slope === 0) y = max === 6 ? tf.relu6(x) : tf.relu(x);
  else if (threshold === 0) y = tf.leakyRelu(x, slope);
  else y = tf.where(tf.greaterEqual(x, threshold), x, slope === 0 ? tf.zerosLike(x) : tf.mul(slope, tf.sub(x, threshold)));
  return max === null || (max === 6 && threshold === 0 && slope === 0) ? y : tf.minimum(y, max);
}

/** Zeros inserted between kernel taps: a dilated conv as a plain one (dilation needs stride 1 in TF). */
function dilateKernel(w: tf.Tensor4D, [dh, dw]: [number, number]): tf.Tensor4D {
  if (dh === 1 && dw === 1) return w;
  const [kh, kw, a, b] = w.shape;
  const w6 = tf.reshape(w, [kh, 1, kw, 1, a, b]);
  const p = tf.pad(w6, [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  const full = tf.reshape(p, [kh * dh, kw * dw, a, b]);
  return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b]) as tf.Tensor4D;
}

/** Explicit pads become a zero pad before a 'valid' window. */
function padded(x: tf.Tensor4D, pad: Pad2D): [tf.Tensor4D, 'valid' | 'same'] {
  if (!Array.isArray(pad)) return [x, pad];
  const [t, b, l, r] = pad;
  return [t || b || l || r ? tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]) : x, 'valid'];
}

function withBias(y: tf.Tensor, useBias: boolean, w: WeightOf, act: Act): tf.Tensor {
  return activate(useBias ? tf.add(y, w('bias')) : y, act);
}

function conv(x: tf.Tensor4D, op: Extract<Op, { type: 'conv2d' }>, w: WeightOf): tf.Tensor {
  const [src, pad] = padded(x, op.padding);
  const kernel = dilateKernel(w('kernel') as tf.Tensor4D, op.dilations);
  if (op.groups > 1) {
    const xs = tf.split(src, op.groups, 3) as tf.Tensor4D[];
    const ks = tf.split(kernel, op.groups, 3) as tf.Tensor4D[];
    return withBias(tf.concat(xs.map((xi, i) => conv2d(xi, ks[i]!, op.strides, pad)), 3), op.useBias, w, op.act);
  }
  const f = fused(op, w);
  return f ? conv2d(src, kernel, op.strides, pad, f) : withBias(conv2d(src, kernel, op.strides, pad), op.useBias, w, op.act);
}

/** Bias and a (ReLU / ReLU6) activation for the fused kernels' output loop: one kernel instead of three, forward and backward. */
function fused(op: { useBias: boolean; act: Act }, w: WeightOf): { bias?: tf.Tensor1D; activation: FusedActivation } | null {
  const fn = op.act.fn;
  if (fn !== 'linear' && fn !== 'relu' && fn !== 'relu6') return null;
  return { bias: op.useBias ? (w('bias') as tf.Tensor1D) : undefined, activation: fn };
}

function depthwise(x: tf.Tensor4D, op: Extract<Op, { type: 'depthwise' | 'separable' }>, w: WeightOf): tf.Tensor {
  const [src, pad] = padded(x, op.padding);
  const dk = dilateKernel(w('depthwise_kernel') as tf.Tensor4D, op.dilations);
  const f = fused(op, w);
  if (op.type === 'depthwise') {
    return f ? depthwiseConv2d(src, dk, op.strides, pad, f) : withBias(depthwiseConv2d(src, dk, op.strides, pad), op.useBias, w, op.act);
  }
  const y = depthwiseConv2d(src, dk, op.strides, pad);
  const pk = w('pointwise_kernel') as tf.Tensor4D;
  return f ? conv2d(y, pk, [1, 1], 'valid', f) : withBias(conv2d(y, pk, [1, 1], 'valid'), op.useBias, w, op.act);
}

function denseAny(x: tf.Tensor, op: Extract<Op, { type: 'dense' }>, w: WeightOf): tf.Tensor {
  const kernel = w('kernel') as tf.Tensor2D;
  const bias = op.useBias ? (w('bias') as tf.Tensor1D) : undefined;
  if (x.rank === 2) return activate(dense(x as tf.Tensor2D, kernel, bias), op.act);
  const y = dense(tf.reshape(x, [-1, kernel.shape[0]]), kernel, bias);
  return activate(tf.reshape(y, [...x.shape.slice(0, -1), op.units]), op.act);
}

/** Same rank for every input of a broadcasting op: missing leading axes (after the batch) become 1. */
function sameRank(xs: tf.Tensor[]): tf.Tensor[] {
  const rank = Math.max(...xs.map((t) => t.rank));
  return xs.map((t) => (t.rank === rank ? t : tf.reshape(t, [t.shape[0]!, ...Array<number>(rank - t.rank).fill(1), ...t.shape.slice(1)])));
}

function merge(xs: tf.Tensor[], mode: Extract<Op, { type: 'merge' }>['mode']): tf.Tensor {
  const ts = sameRank(xs);
  const fold = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => ts.slice(1).reduce(f, ts[0]!);
  switch (mode) {
    case 'add': return fold(tf.add);
    case 'sub': return tf.sub(ts[0]!, ts[1]!);
    case 'mul': return fold(tf.mul);
    case 'avg': return tf.div(fold(tf.add), ts.length);
    case 'max': return fold(tf.maximum);
    case 'min': return fold(tf.minimum);
  }
}

function norm(x: tf.Tensor, op: Extract<Op, { type: 'batchNorm' | 'layerNorm' }>, w: WeightOf): tf.Tensor {
  let y: tf.Tensor;
  if (op.type === 'batchNorm') {
    // Inference form: gamma * (x - mean) / sqrt(var + eps) + beta.
    let factor = tf.rsqrt(tf.add(w('moving_variance'), op.epsilon));
    if (op.scale) factor = tf.mul(factor, w('gamma'));
    y = tf.mul(tf.sub(x, w('moving_mean')), factor);
  } else {
    const { mean, variance } = tf.moments(x, -1, true);
    y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, op.epsilon)));
    if (op.scale) y = tf.mul(y, w('gamma'));
  }
  return op.center ? tf.add(y, w('beta')) : y;
}

/** UpSampling2D 'nearest': each pixel repeated (a broadcast, whose gradient is a sum). */
function upsample(x: tf.Tensor4D, [sh, sw]: [number, number]): tf.Tensor {
  const [n, h, wd, c] = x.shape;
  const rep = tf.mul(tf.reshape(x, [n, h, 1, wd, 1, c]), tf.ones([1, 1, sh, 1, sw, 1]));
  return tf.reshape(rep, [n, h * sh, wd * sw, c]);
}

function pool(x: tf.Tensor4D, op: Extract<Op, { type: 'pool' }>): tf.Tensor {
  const f = op.mode === 'max' ? maxPool : avgPool;
  if (!Array.isArray(op.padding)) return f(x, op.size, op.strides, op.padding);
  const [t, b, l, r] = op.padding;
  // Lowest float32 rather than -Infinity: a padded cell never wins a max, and no inf - inf appears in a gradient.
  const src = t || b || l || r ? tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]], op.mode === 'max' ? -3.4028234663852886e38 : 0) : x;
  return f(src as tf.Tensor4D, op.size, op.strides, 'valid');
}

/** The output of `node` from its inputs (batch axis first). */
export function runNode(node: Node, xs: tf.Tensor[], w: WeightOf): tf.Tensor {
  const op = node.op;
  const x = xs[0]!;
  switch (op.type) {
    case 'conv2d': return conv(x as tf.Tensor4D, op, w);
    case 'depthwise':
    case 'separable': return depthwise(x as tf.Tensor4D, op, w);
    case 'dense': return denseAny(x, op, w);
    case 'pool': return pool(x as tf.Tensor4D, op);
    case 'globalPool': return (op.mode === 'max' ? tf.max : tf.mean)(x, [1, 2], op.keepdims);
    case 'pad': return tf.pad(x, [[0, 0], [op.pads[0], op.pads[1]], [op.pads[2], op.pads[3]], [0, 0]]);
    case 'crop': {
      const [, h, wd] = x.shape as number[];
      const [t, b, l, r] = op.crop;
      return tf.slice(x, [0, t, l, 0], [-1, h! - t - b, wd! - l - r, -1]);
    }
    case 'act': return activate(x, op.act);
    case 'prelu': return tf.add(tf.relu(x), tf.mul(w('alpha'), tf.minimum(x, 0)));
    case 'batchNorm':
    case 'layerNorm': return norm(x, op, w);
    case 'affine': return tf.add(tf.mul(x, tf.tensor1d(op.scale)), tf.tensor1d(op.offset));
    // Keras: (x - mean) / max(sqrt(variance), epsilon).
    case 'normalize': return tf.div(tf.sub(x, w('mean')), tf.maximum(tf.sqrt(w('variance')), op.epsilon));
    case 'merge': return merge(xs, op.mode);
    case 'concat': return tf.concat(xs, op.axis < 0 ? x.rank + op.axis : op.axis + 1);
    case 'reshape': return tf.reshape(x, [x.shape[0]!, ...op.shape]);
    case 'flatten': return tf.reshape(x, [x.shape[0]!, -1]);
    case 'permute': return tf.transpose(x, [0, ...op.dims]);
    case 'upsample': return upsample(x as tf.Tensor4D, op.size);
    case 'identity': return x;
    case 'fakeQuant': return fakeQuant(x, op);
  }
}
