// Depthwise conv whose gradients are forward DepthwiseConv2dNative calls and strided slices: tfjs-backend-wasm
// has no depthwise backprop kernels (PLATFORM.md).
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorMap, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { cropTo, dilate, flipSpatial, fusedSpec, type FusedActivation } from './conv';
import { simdKernels } from '../kernels';
import { runOp, type OpSpec } from './kernel';
import { depthwiseInputGradSimd } from './simd';

function geometry(xShape: number[], wShape: number[], attrs: NamedAttrMap) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], wShape as [number, number, number, number],
    attrs.strides as [number, number], 1, attrs.pad as 'valid' | 'same', undefined, true,
  );
}

/** dL/dx of a depthwise conv: our SIMD kernel for multiplier 1 when it runs (ops/simd.ts), else depthwiseInputGradOps. */
export function depthwiseInputGrad(dy: Tensor4D, w: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  if (w.shape[3] === 1 && simdKernels()) return depthwiseInputGradSimd(dy, w, xShape, attrs);
  return depthwiseInputGradOps(dy, w, xShape, attrs);
}

/**
 * dL/dx[c] = sum_j full correlation of the stride-dilated dy[c*m + j] with the flipped w[:, :, c, j] (m is 1 in
 * most models). Stock tfjs ops only: any backend, and the reference the SIMD kernel is tested against.
 */
export function depthwiseInputGradOps(dy: Tensor4D, w: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  const g = geometry(xShape, w.shape, attrs);
  const [kh, kw, c, m] = w.shape;
  const flipped = flipSpatial(w);
  const dyd = dilate(dy, g.strideHeight, g.strideWidth);
  const bottom = g.inHeight + g.padInfo.top - dyd.shape[1];
  const right = g.inWidth + g.padInfo.left - dyd.shape[2];
  const src = bottom < 0 || right < 0 ? cropTo(dyd, dyd.shape[1] + Math.min(bottom, 0), dyd.shape[2] + Math.min(right, 0)) : dyd;
  const pad: [[number, number], [number, number], [number, number], [number, number]] =
    [[0, 0], [kh - 1 - g.padInfo.top, Math.max(bottom, 0)], [kw - 1 - g.padInfo.left, Math.max(right, 0)], [0, 0]];
  if (m === 1) return tf.depthwiseConv2d(src, flipped as Tensor4D, 1, pad);
  // Channel c*m + j of dy belongs to input channel c: one depthwise pass over all c*m channels, each with its own
  // flipped filter, then the m partial gradients of each input channel summed (innermost axis; no strided copies).
  const per = tf.depthwiseConv2d(src, tf.reshape(flipped, [kh, kw, c * m, 1]) as Tensor4D, 1, pad);
  const [n, h, wd] = per.shape;
  return tf.sum(tf.reshape(per, [n, h, wd, c, m]), 4) as Tensor4D;
}

/** dL/dw[a, b, c, j] = sum_{n, y, x} xpad[n, y*s + a, x*s + b, c] dy[n, y, x, c*m + j], one strided window per tap. */
export function depthwiseFilterGrad(x: Tensor4D, dy: Tensor4D, wShape: number[], attrs: NamedAttrMap): Tensor4D {
  const g = geometry(x.shape, wShape, attrs);
  const [kh, kw, c, m] = wShape as [number, number, number, number];
  const [n, ho, wo] = dy.shape;
  const [sh, sw] = [g.strideHeight, g.strideWidth];
  const needH = (ho - 1) * sh + kh;
  const needW = (wo - 1) * sw + kw;
  const bottom = Math.max(needH - g.inHeight - g.padInfo.top, 0);
  const right = Math.max(needW - g.inWidth - g.padInfo.left, 0);
  const xp = tf.pad(x, [[0, 0], [g.padInfo.top, bottom], [g.padInfo.left, right], [0, 0]]);
  const dy5 = tf.reshape(dy, [n, ho, wo, c, m]);
  const taps: tf.Tensor[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const win = tf.stridedSlice(xp, [0, a, b, 0], [n, a + (ho - 1) * sh + 1, b + (wo - 1) * sw + 1, c], [1, sh, sw, 1]);
      taps.push(tf.sum(tf.mul(tf.expandDims(win, 4), dy5), [0, 1, 2]));
    }
  }
  return tf.reshape(tf.stack(taps), [kh, kw, c, m]) as Tensor4D;
}

const depthwiseSpec: OpSpec = {
  name: 'QauditDepthwiseConv2D',
  stock: 'DepthwiseConv2dNative',
  inputsToSave: ['x', 'filter'],
  grad: (dy, [x, w], attrs) => ({
    x: () => depthwiseInputGrad(dy as Tensor4D, w as Tensor4D, x!.shape, attrs),
    filter: () => depthwiseFilterGrad(x as Tensor4D, dy as Tensor4D, w!.shape, attrs),
  }),
};

const fusedDepthwiseSpec = fusedSpec('QauditFusedDepthwiseConv2D', 'FusedDepthwiseConv2D', depthwiseInputGrad, depthwiseFilterGrad);

/**
 * NHWC depthwise conv, filter [kh, kw, C, m] (output channel c*m + j), stride `strides`, no dilation. With `fused`,
 * the stock FusedDepthwiseConv2D: bias and activation in the output loop (see conv2d in conv.ts).
 */
export function depthwiseConv2d(
  x: Tensor4D, w: Tensor4D, strides: [number, number], pad: 'valid' | 'same',
  fused?: { bias?: Tensor1D; activation?: FusedActivation },
): Tensor4D {
  const attrs = { strides, pad, dilations: [1, 1], dataFormat: 'NHWC' };
  if (!fused) return runOp<Tensor4D>(depthwiseSpec, { x, filter: w }, attrs);
  const inputs: NamedTensorMap = fused.bias ? { x, filter: w, bias: fused.bias } : { x, filter: w };
  return runOp<Tensor4D>(fusedDepthwiseSpec, inputs, { ...attrs, activation: fused.activation ?? 'linear', leakyreluAlpha: 0 });
}
