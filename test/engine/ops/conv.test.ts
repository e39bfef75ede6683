import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { conv2d, type Padding } from '../../../src/engine/ops/index';
import { data, onCpu, relError, toArrays, type ConvCase, type Shape4 } from './reference';


// Odd sizes, stride 2 and 3, 'same' with uneven padding, non-square filters, batch 1 and 3.
const CASES: ConvCase[] = [
  { x: [1, 5, 5, 1], w: [3, 3, 1, 2], strides: [1, 1], pad: 'valid' },
  { x: [3, 7, 7, 3], w: [3, 3, 3, 4], strides: [2, 2], pad: 'valid' },
  { x: [3, 8, 7, 2], w: [3, 2, 2, 3], strides: [2, 2], pad: 'same' },
  { x: [1, 6, 6, 2], w: [2, 2, 2, 3], strides: [2, 2], pad: 'same' },
  { x: [3, 9, 5, 2], w: [4, 4, 2, 3], strides: [3, 2], pad: 'same' },
  { x: [1, 9, 5, 2], w: [5, 3, 2, 3], strides: [1, 2], pad: 'valid' },
  { x: [3, 11, 11, 2], w: [5, 5, 2, 4], strides: [1, 1], pad: 'same' },
];

const name = (c: ConvCase) => `x ${c.x} w ${c.w} strides ${c.strides} ${c.pad}`;

describe('conv2d', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it.each(CASES)('forward equals the stock kernel: $pad $strides', (c) => {
    const [x, w] = [tf.tensor4d(data(c.x, 1), c.x), tf.tensor4d(data(c.w, 2), c.w)];
    const ours = conv2d(x, w, c.strides, c.pad).dataSync();
    const stock = tf.conv2d(x, w, c.strides, c.pad).dataSync();
    expect(Array.from(ours)).toEqual(Array.from(stock));
    tf.dispose([x, w]);
  });

  it.each(CASES.map((c) => [name(c), c] as const))('gradients w.r.t. x and w match tfjs-cpu: %s', async (_, c) => {
    const xs = data(c.x, 3);
    const ws = data(c.w, 4);
    const loss = (op: typeof conv2d) => (x: tf.Tensor, w: tf.Tensor) => {
      const y = op(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad);
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 5)));
    };
    const grads = (op: typeof conv2d) =>
      tf.tidy(() => toArrays(tf.grads(loss(op))([tf.tensor4d(xs, c.x), tf.tensor4d(ws, c.w)])));
    const before = tf.memory().numTensors;
    const [dx, dw] = grads(conv2d);
    expect(tf.memory().numTensors).toBe(before);
    const [rx, rw] = await onCpu(() => grads((x, w, s, p) => tf.conv2d(x, w, s, p)));
    expect(relError(dx, rx)).toBeLessThan(1e-4);
    expect(relError(dw, rw)).toBeLessThan(1e-4);
  });

  it('computes only the gradients asked for (w constant, then x constant)', () => {
    const c = CASES[2];
    const x = tf.tensor4d(data(c.x, 6), c.x);
    const w = tf.tensor4d(data(c.w, 7), c.w);
    const before = tf.memory().numTensors;
    const dx = tf.grad((a: tf.Tensor) => tf.sum(conv2d(a as tf.Tensor4D, w, c.strides, c.pad)))(x);
    const dw = tf.grad((b: tf.Tensor) => tf.sum(conv2d(x, b as tf.Tensor4D, c.strides, c.pad)))(w);
    expect(dx.shape).toEqual(c.x);
    expect(dw.shape).toEqual(c.w);
    tf.dispose([dx, dw]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
