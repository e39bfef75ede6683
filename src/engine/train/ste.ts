// Quantization-aware training: METHOD.md's k-bit quantizer Q_k as tf ops, with a straight-through gradient.
import * as tf from '@tensorflow/tfjs-core';
import { isKernelKey } from '../model/ir';
import { checkBits, maxLevel } from '../model/quantize';

/** BatchNorm moving statistics are state, not parameters: never trained. */
export const isTrainable = (key: string): boolean => !key.endsWith('/moving_mean') && !key.endsWith('/moving_variance');

/** Reduction axes: the whole tensor, or all but the `outAxes` trailing (output-channel) axes. */
const axesOf = (w: tf.Tensor, perChannel: boolean, outAxes: number): number[] =>
  Array.from({ length: perChannel ? w.rank - outAxes : w.rank }, (_, i) => i);

/** Trailing axes that index a kernel's output channel: two for a depthwise kernel [kh, kw, C, m] (see kernelChannels). */
const outAxesOf = (key: string, w: tf.Tensor): number => (key.endsWith('/depthwise_kernel') && w.rank === 4 ? 2 : 1);

/** Rounds half away from zero, as quantizeTensor does (tf.round rounds half to even). */
const roundSym = (v: tf.Tensor): tf.Tensor => tf.mul(tf.sign(v), tf.floor(tf.add(tf.abs(v), 0.5)));

/**
 * Q_k(W) and the straight-through mask. k >= 2: s = max|W| / m, W_q = s * clamp(round(W / s), -m, m),
 * m = 2^(k-1) - 1; the mask is 1 where the clamp is inactive (|round(W / s)| <= m), which with s taken
 * from max|W| is every element: the clamp only bites when s comes from elsewhere. k = 1: W_q = mean|W| * sign(W)
 * (sign(0) = +1); the mask is the usual binary STE window |W| <= 1 (Courbariaux et al. 2016).
 * Values equal quantizeTensor's except at float32 rounding ties of W / s (k >= 2) and in the last bits of
 * mean|W| (k = 1, summed in float32 here); `finish` therefore quantizes with quantizeTensor itself.
 */
export function quantizeWithMask(w: tf.Tensor, bits: number, perChannel = false, outAxes = 1): { q: tf.Tensor; mask: tf.Tensor } {
  checkBits(bits);
  return tf.tidy(() => {
    const axes = axesOf(w, perChannel, outAxes);
    const a = tf.abs(w);
    if (bits === 1) {
      const mean = tf.mean(a, axes, true);
      const sign = tf.sub(tf.mul(tf.cast(tf.greaterEqual(w, 0), 'float32'), 2), 1);
      return { q: tf.mul(mean, sign), mask: tf.cast(tf.lessEqual(a, 1), 'float32') };
    }
    const m = maxLevel(bits);
    const s = tf.div(tf.max(a, axes, true), m);
    // An all-zero channel has s = 0: divide by 1 instead, its values stay 0.
    const safe = tf.where(tf.equal(s, 0), tf.onesLike(s), s);
    const j = roundSym(tf.div(w, safe));
    // + 0 turns -0 into +0, as quantizeTensor stores level 0.
    const q = tf.mul(s, tf.add(tf.clipByValue(j, -m, m), 0));
    return { q, mask: tf.cast(tf.lessEqual(tf.abs(j), m), 'float32') };
  });
}

/** Q_k(W) whose gradient is dy * mask (straight-through; the scale s is treated as a constant). */
export function quantizeSte(w: tf.Tensor, bits: number, perChannel = false, outAxes = 1): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const { q, mask } = quantizeWithMask(args[0] as tf.Tensor, bits, perChannel, outAxes);
    (args[1] as tf.GradSaveFunc)([mask]);
    return { value: q, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!) };
  });
  return f(w);
}

/** The weight map the forward pass sees: kernels through quantizeSte (or left float when bits is null). */
export function quantizedWeights(weights: tf.NamedTensorMap, bits: number | null, perChannel = false): tf.NamedTensorMap {
  if (bits === null) return weights;
  const out: tf.NamedTensorMap = {};
  for (const [k, t] of Object.entries(weights)) out[k] = isKernelKey(k) ? quantizeSte(t, bits, perChannel, outAxesOf(k, t)) : t;
  return out;
}
