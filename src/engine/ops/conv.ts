// conv2d whose gradients are plain forward Conv2D calls (wasm lacks Conv2DBackpropFilter and its
// Conv2DBackpropInput is ~10x slower than the equivalent Conv2D; see PLATFORM.md).
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorMap, Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { simdKernels } from '../kernels';
import { runOp, type OpSpec } from './kernel';
import { activationGradSimd, convInputGradSimd } from './simd';

export type Padding = 'valid' | 'same';

/** Explicit NHWC padding as tf.conv2d takes it. */
type Explicit = [[number, number], [number, number], [number, number], [number, number]];
const explicit = (t: number, b: number, l: number, r: number): Explicit => [[0, 0], [t, b], [l, r], [0, 0]];

function geometry(xShape: number[], wShape: number[], attrs: NamedAttrMap) {
  const strides = attrs.strides as [number, number];
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    wShape as [number, number, number, number],
    strides,
    1,
    attrs.pad as Padding,
  );
}

/** dL/dx of conv2d: our SIMD kernel on the wasm heap when it runs (ops/simd.ts), else convInputGradOps. */
export function convInputGrad(dy: Tensor4D, w: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  return simdKernels() ? convInputGradSimd(dy, w, xShape, attrs) : convInputGradOps(dy, w, xShape, attrs);
}

/**
 * dL/dx = full correlation of the stride-dilated dy with the spatially flipped filter whose
 * in/out channels are swapped: dx[r] = sum_a dy[(r + pt - a) / s] w[a] over integral quotients.
 * Stock tfjs ops only: any backend, and the reference the SIMD kernel is tested against.
 */
export function convInputGradOps(dy: Tensor4D, w: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  const g = geometry(xShape, w.shape, attrs);
  const [kh, kw] = [g.filterHeight, g.filterWidth];
  const wFlip = tf.transpose(flipSpatial(w), [0, 1, 3, 2]) as Tensor4D;
  const dyd = dilate(dy, g.strideHeight, g.strideWidth);
  // Rows of the dilated dy: (Ho-1)*s+1 real ones plus s-1 trailing zeros from `dilate`.
  let bottom = g.inHeight + g.padInfo.top - dyd.shape[1];
  let right = g.inWidth + g.padInfo.left - dyd.shape[2];
  let src = dyd;
  if (bottom < 0 || right < 0) {
    // Only trailing zeros are dropped here (the padded height is never short of real rows).
    src = cropTo(dyd, dyd.shape[1] + Math.min(bottom, 0), dyd.shape[2] + Math.min(right, 0));
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const pad = explicit(kh - 1 - g.padInfo.top, bottom, kw - 1 - g.padInfo.left, right);
  return tf.conv2d(src, wFlip, 1, pad);
}

/**
 * dL/dw[a,b,c,o] = sum_{n,i,j} xpad[n, i*sh+a, j*sw+b, c] dy[n,i,j,o]: a Conv2D of x seen as
 * [Ci, H, W, N] with dy seen as a [Ho, Wo, N, Co] filter dilated by the strides. Measured faster
 * than im2col + matMul on wasm (LeNet conv2 at batch 128: ~65 ms vs ~270 ms).
 */
export function convFilterGrad(x: Tensor4D, dy: Tensor4D, wShape: number[], attrs: NamedAttrMap): Tensor4D {
  const g = geometry(x.shape, wShape, attrs);
  const [kh, kw] = [g.filterHeight, g.filterWidth];
  const xt = tf.transpose(x, [3, 1, 2, 0]) as Tensor4D;
  const dyt = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D;
  // Pad only up to what the last filter tap reads; leftover input rows ('valid') are sliced off.
  const bottom = kh + (g.outHeight - 1) * g.strideHeight - g.inHeight - g.padInfo.top;
  const right = kw + (g.outWidth - 1) * g.strideWidth - g.inWidth - g.padInfo.left;
  const pad = explicit(g.padInfo.top, Math.max(bottom, 0), g.padInfo.left, Math.max(right, 0));
  let r = tf.conv2d(xt, dyt, 1, pad, 'NHWC', [g.strideHeight, g.strideWidth]);
  if (r.shape[1] !== kh || r.shape[2] !== kw) r = tf.slice(r, [0, 0, 0, 0], [-1, kh, kw, -1]);
  return tf.transpose(r, [1, 2, 0, 3]) as Tensor4D;
}

/**
 * The filter turned 180 degrees in its spatial axes. A 1x1 filter is its own flip: skipping it spares wasm's Reverse,
 * whose per-element index arithmetic cost ~5 ms per call on MobileNetV2's 1x1 kernels, every backward pass.
 */
export const flipSpatial = (w: Tensor4D): Tensor4D => (w.shape[0] === 1 && w.shape[1] === 1 ? w : tf.reverse(w, [0, 1]));

/** Inserts s-1 zeros after every row/column (trailing ones included): [N,H,W,C] -> [N,H*sh,W*sw,C]. */
export function dilate(t: Tensor4D, sh: number, sw: number): Tensor4D {
  if (sh === 1 && sw === 1) return t;
  const [n, h, w, c] = t.shape;
  const t6 = tf.reshape(t, [n, h, 1, w, 1, c]);
  const padded = tf.pad(t6, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.reshape(padded, [n, h * sh, w * sw, c]);
}

const conv2dSpec: OpSpec = {
  name: 'QauditConv2D',
  stock: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  grad: (dy, [x, w], attrs) => ({
    x: () => convInputGrad(dy as Tensor4D, w as Tensor4D, x.shape, attrs),
    filter: () => convFilterGrad(x as Tensor4D, dy as Tensor4D, w.shape, attrs),
  }),
};

/** Activations the stock FusedConv2D applies in its output loop (XNNPACK clamps) that the gradient below knows. */
export type FusedActivation = 'linear' | 'relu' | 'relu6';

/**
 * dL/d(pre-activation), from the saved output y: relu passes dy where y > 0 (exactly where the input was), relu6
 * where 0 < y < 6, tested as y * (6 - y) > 0 (two same-shape ops and a Step instead of tfjs' LessEqual, Cast and
 * Step on the input; exact: for 0 < y < 6 in float32 the product is at least 6 * 2^-149 or 6 * ulp(6) > 0). With our
 * SIMD kernels, the same arithmetic in one pass (ops/simd.ts).
 */
export function preActivationGrad(dy: Tensor, y: Tensor, activation: unknown): Tensor {
  const same = dy.dtype === 'float32' && y.dtype === 'float32' && tf.util.arraysEqual(dy.shape, y.shape);
  if ((activation === 'relu' || activation === 'relu6') && same && simdKernels()) return activationGradSimd(dy, y, activation);
  if (activation === 'relu') return tf.mul(dy, tf.step(y));
  if (activation === 'relu6') return tf.mul(dy, tf.step(tf.mul(y, tf.sub(6, y))));
  return dy;
}

type InputGrad = (dy: Tensor4D, w: Tensor4D, xShape: number[], attrs: NamedAttrMap) => Tensor4D;
type FilterGrad = (x: Tensor4D, dy: Tensor4D, wShape: number[], attrs: NamedAttrMap) => Tensor4D;

/**
 * A fused conv-like op (bias and activation in the stock kernel's output loop) with its gradients: the activation's
 * from the saved output, then the op's own input and filter gradients, and the bias's as a sum.
 */
export function fusedSpec(name: string, stock: string, inputGrad: InputGrad, filterGrad: FilterGrad): OpSpec {
  return {
    name,
    stock,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    grad: (dy, [x, w, y], attrs) => {
      // Made here, not in a thunk: tfjs runs each thunk in its own tidy, which would free it for the next one.
      const pre = preActivationGrad(dy, y!, attrs.activation) as Tensor4D;
      return {
        x: () => inputGrad(pre, w as Tensor4D, x!.shape, attrs),
        filter: () => filterGrad(x as Tensor4D, pre, w!.shape, attrs),
        bias: () => tf.sum(pre, [0, 1, 2]),
      };
    },
  };
}

const fusedConv2dSpec = fusedSpec('QauditFusedConv2D', 'FusedConv2D', convInputGrad, convFilterGrad);

/**
 * NHWC conv, filter [kh, kw, cin, cout]. Without `fused`, the stock Conv2D kernel. With it, the stock FusedConv2D:
 * bias and activation inside the conv's output loop, which on wasm saves a broadcasting Add (~5x slower there than a
 * same-shape Add) and a Relu per call, and their gradient kernels.
 */
export function conv2d(
  x: Tensor4D, w: Tensor4D, strides: [number, number], pad: Padding,
  fused?: { bias?: Tensor1D; activation?: FusedActivation },
): Tensor4D {
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1] };
  if (!fused) return runOp<Tensor4D>(conv2dSpec, { x, filter: w }, attrs);
  const inputs: NamedTensorMap = fused.bias ? { x, filter: w, bias: fused.bias } : { x, filter: w };
  return runOp<Tensor4D>(fusedConv2dSpec, inputs, { ...attrs, activation: fused.activation ?? 'linear', leakyreluAlpha: 0 });
}

/**
 * The top-left [h, w] of an NHWC tensor. StridedSlice runs in the wasm module; tfjs-backend-wasm's Slice copies
 * a non-contiguous 4D window in JavaScript (and a 5D one element by element, ~0.5 s per MobileNet-size batch).
 */
export function cropTo(t: Tensor4D, h: number, w: number): Tensor4D {
  return tf.stridedSlice(t, [0, 0, 0, 0], [t.shape[0], h, w, t.shape[3]], [1, 1, 1, 1]) as Tensor4D;
}
