// The wasm-heap pooling gradients against the stock-op forms they replace, on the same wasm backend.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { onWasmHeap } from '../../../src/engine/ops/heap';
import { avgPoolGrad, avgPoolGradOps, maxPoolGrad, maxPoolGradOps } from '../../../src/engine/ops/pool-grad';
import { data, relError } from './reference';

type Shape4 = [number, number, number, number];
interface Case { x: Shape4; pool: [number, number]; strides: [number, number]; pad: 'valid' | 'same' }

// The audit's CNN shapes at micro-batch 16, odd sizes (windows that skip the last row), 'same', overlapping windows.
const CASES: Case[] = [
  { x: [16, 26, 26, 8], pool: [2, 2], strides: [2, 2], pad: 'valid' },
  { x: [16, 11, 11, 16], pool: [2, 2], strides: [2, 2], pad: 'valid' },
  { x: [2, 7, 9, 3], pool: [2, 2], strides: [2, 2], pad: 'same' },
  { x: [2, 7, 9, 2], pool: [3, 3], strides: [2, 2], pad: 'same' },
  { x: [1, 7, 9, 3], pool: [3, 3], strides: [1, 2], pad: 'valid' },
  { x: [2, 8, 7, 2], pool: [2, 3], strides: [3, 1], pad: 'same' },
];
const name = (c: Case) => `x ${c.x} pool ${c.pool} strides ${c.strides} ${c.pad}`;
const attrs = (c: Case) => ({ filterSize: c.pool, strides: c.strides, pad: c.pad });

describe('pooling gradients on the wasm heap', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it('run on the engine backend', () => expect(onWasmHeap()).toBe(true));

  it.each(CASES.map((c) => [name(c), c] as const))('maxPool: equal to the stock-op form, ties included: %s', (_, c) => {
    for (const seed of [1, 2]) {
      // seed 2: values in {0, 1, 2}, most windows hold several maxima.
      const raw = data(c.x, seed);
      const xs = seed === 2 ? raw.map((v) => Math.min(2, Math.max(0, Math.round(v + 1)))) : raw;
      const before = tf.memory().numTensors;
      const [ours, ref] = tf.tidy(() => {
        const x = tf.tensor4d(xs, c.x);
        const y = tf.maxPool(x, c.pool, c.strides, c.pad);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 5) as tf.Tensor4D;
        return [maxPoolGrad(dy, x, y, attrs(c)), maxPoolGradOps(dy, x, y, attrs(c))].map((t) => Array.from(t.dataSync()));
      });
      expect(tf.memory().numTensors).toBe(before);
      // Tiling windows move each dy unchanged: bit-equal. Overlaps sum in another order.
      expect(relError(ours!, ref!)).toBeLessThan(1e-6);
    }
  });

  it.each(CASES.map((c) => [name(c), c] as const))('avgPool: equal to the stock-op form: %s', (_, c) => {
    const [ours, ref] = tf.tidy(() => {
      const y = tf.avgPool(tf.zeros(c.x) as tf.Tensor4D, c.pool, c.strides, c.pad);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 6) as tf.Tensor4D;
      return [avgPoolGrad(dy, c.x, attrs(c)), avgPoolGradOps(dy, c.x, attrs(c))].map((t) => Array.from(t.dataSync()));
    });
    expect(relError(ours!, ref!)).toBeLessThan(1e-6);
  });

  it('a heap kernel output is zero where no window reads (valid pooling of an odd size)', () => {
    const c = CASES[1]!;
    const g = tf.tidy(() => {
      const x = tf.tensor4d(data(c.x, 3), c.x);
      const y = tf.maxPool(x, c.pool, c.strides, c.pad);
      return Array.from(maxPoolGrad(tf.onesLike(y) as tf.Tensor4D, x, y, attrs(c)).dataSync());
    });
    const [, h, w, ch] = c.x;
    // Row 10 and column 10 lie outside every 2x2 window of an 11x11 map; each window gives exactly one 1.
    const lastRowOrCol = g.filter((_, k) => Math.floor(k / (w * ch)) % h === 10 || Math.floor(k / ch) % w === 10);
    expect(lastRowOrCol.every((v) => v === 0)).toBe(true);
    expect(g.reduce((a, b) => a + b, 0)).toBe(16 * 5 * 5 * 16);
  });
});
