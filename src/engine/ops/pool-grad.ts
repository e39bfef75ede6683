// Gradients of maxPool / avgPool (pool.ts), as tfjs keeps them in gradients/*_grad.ts: on wasm a JS loop over
// the heap (heap.ts); elsewhere, and as its test reference, mask-based gradients from stock ops. wasm's MaxPoolGrad
// is slow and picks the LAST max of a window; its MaxPoolWithArgmax returns garbage for all-negative windows:
// neither is used. Measured on wasm: resizeNearestNeighbor, maxPool, step and same-shape arithmetic are fast;
// tf.slice at an offset, tf.stridedSlice and 6-D slices are 50-1000x slower, so the common case
// (windows that tile the input, stride == pool) uses only the former.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { avgPoolGradHeap, maxPoolGradHeap, onWasmHeap } from './heap';
import { geometry, type PoolInfo } from './pool-info';

/** Window offsets (a, b) in row-major order: the order that decides ties. */
function offsets(g: PoolInfo): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let a = 0; a < g.filterHeight; a++) for (let b = 0; b < g.filterWidth; b++) out.push([a, b]);
  return out;
}

/** Rows/columns the windows read, in padded coordinates: [(Ho-1)*s + k]. */
const span = (o: number, s: number, k: number) => (o - 1) * s + k;

/** x restricted to the region the windows read, padded with `fill` where it lies outside x. */
function windowRegion(x: Tensor4D, g: PoolInfo, fill: number): Tensor4D {
  const hp = span(g.outHeight, g.strideHeight, g.filterHeight);
  const wp = span(g.outWidth, g.strideWidth, g.filterWidth);
  const { top, left } = g.padInfo;
  const h = Math.min(g.inHeight, hp - top);
  const w = Math.min(g.inWidth, wp - left);
  const inner = h < g.inHeight || w < g.inWidth ? tf.slice(x, [0, 0, 0, 0], [-1, h, w, -1]) : x;
  if (top === 0 && left === 0 && hp === h && wp === w) return inner;
  return tf.pad(inner, [[0, 0], [top, hp - top - h], [left, wp - left - w], [0, 0]], fill);
}

/** The element each window reads at offset (a, b): [N, Ho, Wo, C]. */
function tap(region: Tensor4D, g: PoolInfo, a: number, b: number): Tensor4D {
  const end = [region.shape[0], a + (g.outHeight - 1) * g.strideHeight + 1, b + (g.outWidth - 1) * g.strideWidth + 1, g.inChannels];
  return tf.stridedSlice(region, [0, a, b, 0], end, [1, g.strideHeight, g.strideWidth, 1]) as Tensor4D;
}

/**
 * Inverse of `tap`: dx[n, i*sh+a-pt, j*sw+b-pl, c] += parts[(a,b)][n,i,j,c], summed over offsets,
 * cropped to x's shape.
 */
function untap(parts: Tensor4D[], g: PoolInfo): Tensor4D {
  const [n, ho, wo, c] = parts[0].shape;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = g;
  const hc = kh - 1 + ho * sh;
  const wc = kw - 1 + wo * sw;
  const placed = offsets(g).map(([a, b], k) => {
    const p6 = tf.pad(tf.reshape(parts[k], [n, ho, 1, wo, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    const d = tf.reshape(p6, [n, ho * sh, wo * sw, c]);
    return tf.pad(d, [[0, 0], [a, hc - a - ho * sh], [b, wc - b - wo * sw], [0, 0]]);
  });
  return cropTo(tf.addN(placed) as Tensor4D, g);
}

/** Canvas in padded coordinates -> x's [N, H, W, C]; rows no window read get zero. */
function cropTo(canvas: Tensor4D, g: PoolInfo): Tensor4D {
  const { top, left } = g.padInfo;
  const h = Math.min(g.inHeight, canvas.shape[1] - top);
  const w = Math.min(g.inWidth, canvas.shape[2] - left);
  if (top === 0 && left === 0 && h === canvas.shape[1] && w === canvas.shape[2] && h === g.inHeight && w === g.inWidth) {
    return canvas;
  }
  const inner = tf.slice(canvas, [0, top, left, 0], [-1, h, w, -1]);
  if (h === g.inHeight && w === g.inWidth) return inner;
  return tf.pad(inner, [[0, 0], [0, g.inHeight - h], [0, g.inWidth - w], [0, 0]]);
}

/**
 * Gradient of max pooling. Ties: the FIRST maximum of a window in row-major order takes all of
 * dy (TensorFlow's and tfjs-cpu's rule), so the gradient sums to dy per window even on the flat
 * activations that quantized weights produce. Padding never wins (it is -Infinity).
 */
export function maxPoolGrad(dy: Tensor4D, x: Tensor4D, y: Tensor4D, attrs: NamedAttrMap): Tensor4D {
  return onWasmHeap() ? maxPoolGradHeap(dy, x, y, attrs) : maxPoolGradOps(dy, x, y, attrs);
}

/** maxPoolGrad from stock tfjs ops (any backend): the reference the wasm heap kernel is tested against. */
export function maxPoolGradOps(dy: Tensor4D, x: Tensor4D, y: Tensor4D, attrs: NamedAttrMap): Tensor4D {
  const g = geometry(x.shape, attrs);
  return tiles(g) ? maxPoolGradTiled(dy, x, y, g) : maxPoolGradGeneral(dy, x, y, g);
}

/** Windows tile the region they read: no overlap, no gap. */
const tiles = (g: PoolInfo) => g.strideHeight === g.filterHeight && g.strideWidth === g.filterWidth;

/** Repeats every element of a [N, Ho, Wo, C] map over its k x k window. */
const upsample = (t: Tensor4D, g: PoolInfo) =>
  tf.image.resizeNearestNeighbor(t, [t.shape[1] * g.filterHeight, t.shape[2] * g.filterWidth]);

/** 1 where a == b, else 0, given a <= b: step(0) is 0 and step(v > 0) is 1 (exact, no tolerance). */
const equalBelow = (a: Tensor, b: Tensor) => tf.sub(1, tf.step(tf.sub(b, a)));

function maxPoolGradTiled(dy: Tensor4D, x: Tensor4D, y: Tensor4D, g: PoolInfo): Tensor4D {
  const region = windowRegion(x, g, -Infinity);
  // Each position of a window gets a distinct positive code, earlier positions higher; the
  // window's max code over its maxima picks the first maximum.
  const score = tf.mul(equalBelow(region, upsample(y, g)), positionCodes(g, region.shape)) as Tensor4D;
  const first = upsample(tf.maxPool(score, [g.filterHeight, g.filterWidth], [g.strideHeight, g.strideWidth], 'valid'), g);
  return cropTo(tf.mul(equalBelow(score, first), upsample(dy, g)) as Tensor4D, g);
}

/** [1, Hp, Wp, 1]: kh*kw - (a*kw + b) at offset (a, b) of its window. */
function positionCodes(g: PoolInfo, shape: number[]): Tensor {
  const [hp, wp] = [shape[1], shape[2]];
  const codes = new Float32Array(hp * wp);
  for (let r = 0; r < hp; r++) {
    for (let c = 0; c < wp; c++) codes[r * wp + c] = g.filterHeight * g.filterWidth - ((r % g.filterHeight) * g.filterWidth + (c % g.filterWidth));
  }
  return tf.tensor4d(codes, [1, hp, wp, 1]);
}

/** Overlapping or gapped windows: one strided slice per window offset (slow on wasm, but rare). */
function maxPoolGradGeneral(dy: Tensor4D, x: Tensor4D, y: Tensor4D, g: PoolInfo): Tensor4D {
  const region = windowRegion(x, g, -Infinity);
  let free: Tensor | undefined; // 1 where the window's max is still unclaimed
  const parts = offsets(g).map(([a, b]) => {
    const hit = equalBelow(tap(region, g, a, b), y);
    const take = free ? tf.mul(hit, free) : hit;
    free = free ? tf.sub(free, take) : tf.sub(1, take);
    return tf.mul(dy, take) as Tensor4D;
  });
  return untap(parts, g);
}

/** Gradient of average pooling: dy / (in-bounds elements of the window) spread over the window. */
export function avgPoolGrad(dy: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  return onWasmHeap() ? avgPoolGradHeap(dy, xShape, attrs) : avgPoolGradOps(dy, xShape, attrs);
}

/** avgPoolGrad from stock tfjs ops (any backend): the reference the wasm heap kernel is tested against. */
export function avgPoolGradOps(dy: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  const g = geometry(xShape, attrs);
  const share = tf.mul(dy, inverseCounts(g)) as Tensor4D;
  if (tiles(g)) return cropTo(upsample(share, g), g);
  return untap(offsets(g).map(() => share), g);
}

/** 1 / window size, counting only elements inside x (tfjs excludes 'same' padding). */
function inverseCounts(g: PoolInfo): Tensor {
  const counts = (o: number, s: number, k: number, pad: number, size: number) =>
    Array.from({ length: o }, (_, i) => Math.min(size, i * s - pad + k) - Math.max(0, i * s - pad));
  const rows = counts(g.outHeight, g.strideHeight, g.filterHeight, g.padInfo.top, g.inHeight);
  const cols = counts(g.outWidth, g.strideWidth, g.filterWidth, g.padInfo.left, g.inWidth);
  if (rows.every((r) => r === g.filterHeight) && cols.every((c) => c === g.filterWidth)) {
    return tf.scalar(1 / (g.filterHeight * g.filterWidth));
  }
  const inv = rows.flatMap((r) => cols.map((c) => 1 / (r * c)));
  return tf.tensor4d(inv, [1, g.outHeight, g.outWidth, 1]);
}
