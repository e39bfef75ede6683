import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { avgPool, maxPool, type Padding } from '../../../src/engine/ops/index';
import { data, onCpu, relError, toArrays } from './reference';

type Shape4 = [number, number, number, number];
interface PoolCase { x: Shape4; pool: [number, number]; strides: [number, number]; pad: Padding }

// Tiling windows (the fast path) incl. odd sizes and 'same'; overlapping and gapped windows.
const CASES: PoolCase[] = [
  { x: [3, 8, 8, 3], pool: [2, 2], strides: [2, 2], pad: 'valid' },
  { x: [1, 7, 7, 2], pool: [2, 2], strides: [2, 2], pad: 'valid' },
  { x: [3, 7, 9, 2], pool: [2, 2], strides: [2, 2], pad: 'same' },
  { x: [1, 7, 8, 2], pool: [3, 3], strides: [3, 3], pad: 'same' },
  { x: [3, 7, 9, 2], pool: [3, 3], strides: [2, 2], pad: 'same' },
  { x: [1, 7, 9, 3], pool: [3, 3], strides: [2, 2], pad: 'valid' },
  { x: [3, 7, 9, 2], pool: [2, 3], strides: [3, 1], pad: 'same' },
];
const name = (c: PoolCase) => `x ${c.x} pool ${c.pool} strides ${c.strides} ${c.pad}`;
type PoolOp = typeof maxPool;

/** dL/dx of L = sum(op(x) * r) with r seeded, as arrays; asserts no tensor leaks. */
function grad(op: PoolOp, c: PoolCase, xs: Float32Array): number[] {
  const before = tf.memory().numTensors;
  const [g] = tf.tidy(() => {
    const loss = (x: tf.Tensor) => {
      const y = op(x as tf.Tensor4D, c.pool, c.strides, c.pad);
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 9)));
    };
    return toArrays([tf.grad(loss)(tf.tensor4d(xs, c.x))]);
  });
  expect(tf.memory().numTensors).toBe(before);
  return g;
}

/** Exact gradient of a linear op: probe the stock forward with every basis image. */
function adjointOfStockAvgPool(c: PoolCase): number[] {
  return tf.tidy(() => {
    const [b, h, w, ch] = c.x;
    const n = h * w * ch;
    const basis = tf.reshape(tf.eye(n), [n, h, w, ch]) as tf.Tensor4D;
    const y = tf.avgPool(basis, c.pool, c.strides, c.pad);
    const r = tf.randomNormal([b, ...y.shape.slice(1)], 0, 1, 'float32', 9);
    const dx = tf.matMul(tf.reshape(r, [b, -1]), tf.reshape(y, [n, -1]), false, true);
    return Array.from(dx.dataSync());
  });
}

/** Whether every window lies inside x (then tfjs-cpu's AvgPoolGrad is exact; see below). */
const noPartialWindows = (c: PoolCase) => c.pad === 'valid';

describe('pooling', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it.each(CASES.map((c) => [name(c), c] as const))('forward equals the stock kernels: %s', (_, c) => {
    const x = tf.tensor4d(data(c.x, 1), c.x);
    for (const [ours, stock] of [[maxPool, tf.maxPool], [avgPool, tf.avgPool]] as const) {
      const a = ours(x, c.pool, c.strides, c.pad);
      const b = stock(x, c.pool, c.strides, c.pad);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      tf.dispose([a, b]);
    }
    x.dispose();
  });

  it.each(CASES.map((c) => [name(c), c] as const))('maxPool gradient matches tfjs-cpu: %s', async (_, c) => {
    const xs = data(c.x, 2);
    const ref = await onCpu(() => grad((x, p, s, pad) => tf.maxPool(x, p, s, pad), c, xs));
    expect(relError(grad(maxPool, c, xs), ref)).toBeLessThan(1e-4);
  });

  it.each(CASES.map((c) => [name(c), c] as const))('maxPool ties go to the first max, as on tfjs-cpu: %s', async (_, c) => {
    // Values in {0, 1, 2}: most windows hold several maxima.
    const xs = data(c.x, 3).map((v) => Math.min(2, Math.max(0, Math.round(v + 1))));
    const ref = await onCpu(() => grad((x, p, s, pad) => tf.maxPool(x, p, s, pad), c, xs));
    // Not bit-equal: overlapping windows sum several dy in another order. A wrong tie gives O(1) errors.
    expect(relError(grad(maxPool, c, xs), ref)).toBeLessThan(1e-6);
  });

  it.each(CASES.map((c) => [name(c), c] as const))('avgPool gradient is the exact adjoint of the forward: %s', async (_, c) => {
    const xs = data(c.x, 4);
    const ours = grad(avgPool, c, xs);
    expect(relError(ours, adjointOfStockAvgPool(c))).toBeLessThan(1e-4);
    // tfjs-cpu's AvgPoolGrad divides by the full window size even where 'same' padding made the
    // forward divide by fewer elements, so it is a valid reference only without partial windows.
    if (noPartialWindows(c)) {
      const ref = await onCpu(() => grad((x, p, s, pad) => tf.avgPool(x, p, s, pad), c, xs));
      expect(relError(ours, ref)).toBeLessThan(1e-4);
    }
  });
});
