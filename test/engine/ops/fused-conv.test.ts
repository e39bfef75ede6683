// conv2d with bias and activation fused (stock FusedConv2D forward, our gradients) against the unfused composition.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { conv2d, type FusedActivation, type Padding } from '../../../src/engine/ops/index';
import { data, onCpu, relError, toArrays } from './reference';

type Shape4 = [number, number, number, number];
interface Case { x: Shape4; w: Shape4; strides: [number, number]; pad: Padding; activation: FusedActivation }

// The audit CNN's two layers at micro-batch 16, then stride 2 / 'same' / uneven filters.
const CASES: Case[] = [
  { x: [16, 28, 28, 1], w: [3, 3, 1, 8], strides: [1, 1], pad: 'valid', activation: 'relu' },
  { x: [16, 13, 13, 8], w: [3, 3, 8, 16], strides: [1, 1], pad: 'valid', activation: 'relu' },
  { x: [3, 8, 7, 2], w: [3, 2, 2, 3], strides: [2, 2], pad: 'same', activation: 'relu' },
  { x: [3, 9, 5, 2], w: [4, 4, 2, 3], strides: [3, 2], pad: 'same', activation: 'linear' },
];
const name = (c: Case) => `x ${c.x} w ${c.w} strides ${c.strides} ${c.pad} ${c.activation}`;

/** The unfused reference on any backend: stock conv2d, broadcasting bias add, stock activation. */
const unfused = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, c: Case): tf.Tensor4D => {
  const y = tf.add(tf.conv2d(x, w, c.strides, c.pad), b) as tf.Tensor4D;
  return c.activation === 'relu' ? tf.relu(y) : y;
};
const fused = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, c: Case) => conv2d(x, w, c.strides, c.pad, { bias: b, activation: c.activation });

describe('conv2d fused with bias and activation', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it.each(CASES.map((c) => [name(c), c] as const))('forward matches the unfused composition: %s', (_, c) => {
    const [a, b] = tf.tidy(() => {
      const args = [tf.tensor4d(data(c.x, 1), c.x), tf.tensor4d(data(c.w, 2), c.w), tf.tensor1d(data([c.w[3]], 3))] as const;
      return [fused(...args, c), unfused(...args, c)].map((t) => Array.from(t.dataSync()));
    });
    expect(relError(a!, b!)).toBeLessThan(1e-5);
  });

  it.each(CASES.map((c) => [name(c), c] as const))('gradients w.r.t. x, w and bias match tfjs-cpu: %s', async (_, c) => {
    const [xs, ws, bs] = [data(c.x, 4), data(c.w, 5), data([c.w[3]], 6)];
    const grads = (op: typeof fused) => tf.tidy(() => {
      const loss = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
        const y = op(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, c);
        return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 7)));
      };
      return toArrays(tf.grads(loss)([tf.tensor4d(xs, c.x), tf.tensor4d(ws, c.w), tf.tensor1d(bs)]));
    });
    const before = tf.memory().numTensors;
    const ours = grads(fused);
    expect(tf.memory().numTensors).toBe(before);
    const ref = await onCpu(() => grads(unfused));
    ours.forEach((g, i) => expect(relError(g, ref[i]!)).toBeLessThan(1e-4));
  });

  it('computes only the gradient asked for: dL/dx alone adds no tensors', () => {
    const c = CASES[1]!;
    const [x, w, b] = [tf.tensor4d(data(c.x, 8), c.x), tf.tensor4d(data(c.w, 9), c.w), tf.tensor1d(data([c.w[3]], 10))];
    const before = tf.memory().numTensors;
    const dx = tf.grad((a: tf.Tensor) => tf.sum(fused(a as tf.Tensor4D, w, b, c)))(x);
    expect(dx.shape).toEqual(c.x);
    dx.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b]);
  });
});
