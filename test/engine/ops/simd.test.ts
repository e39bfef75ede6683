// Our SIMD kernels (src/engine/kernels) against the tfjs paths they replace, on the same wasm backend, in Node and in
// workerd (where the module comes in as an import), with one digest of their bits that both runtimes must give.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { setSimdKernels, simdKernels } from '../../../src/engine/kernels';
import { convInputGrad, convInputGradOps, preActivationGrad, type Padding } from '../../../src/engine/ops/conv';
import { depthwiseInputGrad, depthwiseInputGradOps } from '../../../src/engine/ops/depthwise';
import { maxPoolGrad } from '../../../src/engine/ops/pool-grad';
import { data, relError, type ConvCase, type Shape4 } from './reference';


// First layers (cin 1 and 3), a one-output-channel conv, channel counts off the vector width (5, 6, 7), stride 2 and
// 3 with 'same' (uneven pads) and 'valid' (unread trailing rows), batch 1 and 7, the LeNet and ResNet shapes.
const CASES: ConvCase[] = [
  { x: [7, 28, 28, 1], w: [5, 5, 1, 32], strides: [1, 1], pad: 'valid' },
  { x: [1, 12, 12, 32], w: [5, 5, 32, 64], strides: [1, 1], pad: 'valid' },
  { x: [7, 32, 32, 3], w: [3, 3, 3, 16], strides: [1, 1], pad: 'same' },
  { x: [1, 16, 16, 16], w: [3, 3, 16, 32], strides: [2, 2], pad: 'same' },
  { x: [7, 9, 11, 5], w: [3, 3, 5, 1], strides: [1, 1], pad: 'same' },
  { x: [1, 9, 8, 6], w: [3, 2, 6, 7], strides: [2, 2], pad: 'valid' },
  { x: [7, 10, 9, 7], w: [4, 4, 7, 6], strides: [3, 2], pad: 'same' },
  { x: [1, 13, 13, 4], w: [1, 1, 4, 8], strides: [2, 2], pad: 'same' },
  { x: [7, 6, 6, 1], w: [5, 5, 1, 1], strides: [1, 1], pad: 'same' },
  { x: [1, 7, 7, 2], w: [3, 3, 2, 3], strides: [2, 2], pad: 'same' },
];
/** Exact float32 values from an integer generator: the same inputs on every runtime, whatever tfjs' RNG does. */
const exact = (n: number, seed: number) => Float32Array.from({ length: n }, (_, k) => (Math.imul(k + seed * 7919, 1103515245) >>> 8) / 2 ** 24 - 0.5);

/** FNV-1a over the bit patterns. */
function digest(v: Float32Array): string {
  let h = 0x811c9dc5;
  for (const u of new Uint32Array(v.buffer, v.byteOffset, v.length)) h = Math.imul(h ^ u, 0x01000193) >>> 0;
  return h.toString(16);
}

const name = (c: ConvCase) => `x ${c.x} w ${c.w} strides ${c.strides} ${c.pad}`;

describe('SIMD kernels on the wasm heap', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it('run on the engine backend (Node compiles the committed bytes, workerd gets the imported module)', () => expect(simdKernels()).not.toBeNull());

  // Both sides sum the same products in float32 in different orders (ours: per co vector, then taps; XNNPACK: its
  // own blocking), so they agree to a few ulps of the largest partial sums, not bit for bit: 1e-5 of max |dx|.
  it.each(CASES.map((c) => [name(c), c] as const))('conv input gradient equals the tfjs path to 1e-5: %s', (_, c) => {
    const attrs = { strides: c.strides, pad: c.pad };
    const before = tf.memory().numTensors;
    const [ours, ref, again] = tf.tidy(() => {
      const w = tf.tensor4d(data(c.w, 2), c.w);
      const yShape = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, w, c.strides, c.pad).shape;
      const dy = tf.tensor4d(data(yShape, 3), yShape);
      const run = () => Array.from(convInputGrad(dy, w, c.x, attrs).dataSync());
      return [run(), Array.from(convInputGradOps(dy, w, c.x, attrs).dataSync()), run()];
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(ours.length).toBe(ref.length);
    expect(relError(ours, ref)).toBeLessThan(1e-5);
    expect(again).toEqual(ours);
  });

  // MobileNetV2's depthwise shapes (3x3, stride 1 and 2, 'same' and 'valid' after a ZeroPadding2D), channel counts
  // off the 16- and 4-wide blocks. One product per tap and channel: the sums differ from tfjs' only in order.
  it.each([
    { x: [7, 14, 14, 32] as Shape4, k: 3, s: 1, pad: 'same' as Padding },
    { x: [1, 15, 15, 24] as Shape4, k: 3, s: 2, pad: 'valid' as Padding },
    { x: [7, 9, 8, 21] as Shape4, k: 3, s: 2, pad: 'same' as Padding },
    { x: [1, 10, 11, 3] as Shape4, k: 5, s: 3, pad: 'same' as Padding },
  ])('depthwise input gradient equals the tfjs path to 1e-5: $x $k x $k stride $s $pad', (c) => {
    const attrs = { strides: [c.s, c.s], pad: c.pad };
    const wShape: Shape4 = [c.k, c.k, c.x[3], 1];
    const [ours, ref] = tf.tidy(() => {
      const w = tf.tensor4d(data(wShape, 2), wShape);
      const yShape = tf.depthwiseConv2d(tf.zeros(c.x) as tf.Tensor4D, w, c.s, c.pad).shape;
      const dy = tf.tensor4d(data(yShape, 3), yShape);
      return [depthwiseInputGrad(dy, w, c.x, attrs), depthwiseInputGradOps(dy, w, c.x, attrs)].map((t) => Array.from(t.dataSync()));
    });
    expect(ours.length).toBe(ref.length);
    expect(relError(ours, ref)).toBeLessThan(1e-5);
  });

  // The same float32 operations as the tfjs form (Step is NaN for NaN on wasm): equal values, signed zeros included.
  it.each(['relu', 'relu6'])('%s gradient mask equals the tfjs form bit for bit (NaN as NaN)', (activation) => {
    const special = [0, -0, 6, -6, 5.9999995, 6.0000005, 1e-45, -1e-45, NaN, Infinity, -Infinity, 3];
    const n = 4 * 9 * 7 + 3;
    const ys = Float32Array.from({ length: n }, (_, k) => (k < special.length ? special[k]! : 8 * exact(1, k)[0]! + 3));
    const dys = exact(n, 9).map((v, k) => (k % 13 === 0 ? -0 : k % 17 === 0 ? 0 : v));
    const [ours, ref] = tf.tidy(() => {
      const [dy, y] = [tf.tensor1d(dys), tf.tensor1d(ys)];
      const simd = Array.from(preActivationGrad(dy, y, activation).dataSync());
      setSimdKernels(false);
      try {
        return [simd, Array.from(preActivationGrad(dy, y, activation).dataSync())];
      } finally {
        setSimdKernels(true);
      }
    });
    expect(ours.map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(ref.map((v) => (Object.is(v, -0) ? '-0' : v)));
  });

  // Computed in Node; workerd must give the same bits (plain SIMD128, no FMA: see kernels.c).
  it('gives the same bits on every runtime (digests of a conv and a depthwise input gradient and a max-pool gradient)', () => {
    const got = tf.tidy(() => {
      const w = tf.tensor4d(exact(3 * 3 * 5 * 12, 1), [3, 3, 5, 12]);
      const dy = tf.tensor4d(exact(3 * 6 * 6 * 12, 2), [3, 6, 6, 12]);
      const dx = convInputGrad(dy, w, [3, 11, 11, 5], { strides: [2, 2], pad: 'same' }).dataSync() as Float32Array;
      const x = tf.tensor4d(exact(3 * 11 * 11 * 5, 3), [3, 11, 11, 5]);
      const y = tf.maxPool(x, 3, 2, 'same');
      const dp = maxPoolGrad(tf.tensor4d(exact(y.size, 4), y.shape), x, y, { filterSize: [3, 3], strides: [2, 2], pad: 'same' });
      const wd = tf.tensor4d(exact(3 * 3 * 12, 5), [3, 3, 12, 1]);
      const dd = depthwiseInputGrad(dy, wd, [3, 11, 11, 12], { strides: [2, 2], pad: 'same' }).dataSync() as Float32Array;
      return [digest(dx), digest(dp.dataSync() as Float32Array), digest(dd)];
    });
    expect(got).toEqual(['d66fb341', 'cc255ae3', '9ddc8e68']);
  });

  it('falls back to the tfjs path when switched off', () => {
    setSimdKernels(false);
    try {
      expect(simdKernels()).toBeNull();
      const dx = tf.tidy(() => convInputGrad(tf.ones([1, 3, 3, 1]), tf.ones([2, 2, 1, 1]), [1, 4, 4, 1], { strides: [1, 1], pad: 'valid' }).dataSync());
      expect(Array.from(dx)).toEqual([1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1]);
    } finally {
      setSimdKernels(true);
    }
  });

  // The C loop visits windows and adds in the JS loop's order: the same bits, ties and overlaps included.
  it.each([
    { x: [7, 24, 24, 32] as Shape4, pool: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [1, 7, 9, 6] as Shape4, pool: [3, 3], strides: [2, 2], pad: 'same' },
    { x: [7, 8, 7, 5] as Shape4, pool: [2, 3], strides: [1, 1], pad: 'same' },
  ])('max-pool gradient is bit-identical to the JS heap loop: $x $pool $strides $pad', (c) => {
    const attrs = { filterSize: c.pool, strides: c.strides, pad: c.pad };
    for (const seed of [1, 2]) {
      const raw = data(c.x, seed);
      const xs = seed === 2 ? raw.map((v) => Math.min(2, Math.max(0, Math.round(v + 1)))) : raw;
      const [ours, js] = tf.tidy(() => {
        const x = tf.tensor4d(xs, c.x);
        const y = tf.maxPool(x, c.pool as [number, number], c.strides as [number, number], c.pad as Padding);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 5) as tf.Tensor4D;
        const simd = Array.from(maxPoolGrad(dy, x, y, attrs).dataSync());
        setSimdKernels(false);
        try {
          return [simd, Array.from(maxPoolGrad(dy, x, y, attrs).dataSync())];
        } finally {
          setSimdKernels(true);
        }
      });
      expect(ours).toEqual(js);
    }
  });

});
