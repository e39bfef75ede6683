// depthwiseConv2d: forward equals the stock kernel, gradients (wasm has no depthwise backprop) match tfjs-cpu's.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { depthwiseConv2d } from '../../../src/engine/ops/index';
import { data, onCpu, relError, toArrays, type ConvCase } from './reference';


// Multipliers 1 to 3, stride 1 to 3, 'same' with uneven padding, non-square filters, batch 1 and 3.
const CASES: ConvCase[] = [
  { x: [1, 5, 5, 2], w: [3, 3, 2, 1], strides: [1, 1], pad: 'valid' },
  { x: [3, 8, 7, 3], w: [3, 3, 3, 1], strides: [2, 2], pad: 'same' },
  { x: [3, 9, 9, 2], w: [3, 3, 2, 2], strides: [2, 2], pad: 'valid' },
  { x: [1, 7, 6, 2], w: [2, 3, 2, 3], strides: [1, 2], pad: 'same' },
  { x: [3, 10, 7, 1], w: [5, 3, 1, 2], strides: [3, 2], pad: 'same' },
];

describe('depthwiseConv2d', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it.each(CASES)('forward equals the stock kernel: $pad $strides $w', (c) => {
    const [x, w] = [tf.tensor4d(data(c.x, 1), c.x), tf.tensor4d(data(c.w, 2), c.w)];
    const ours = depthwiseConv2d(x, w, c.strides, c.pad).dataSync();
    const stock = tf.depthwiseConv2d(x, w, c.strides, c.pad).dataSync();
    expect(Array.from(ours)).toEqual(Array.from(stock));
    tf.dispose([x, w]);
  });

  it.each(CASES)('gradients w.r.t. x and w match tfjs-cpu: $pad $strides $w', async (c) => {
    const [xs, ws] = [data(c.x, 3), data(c.w, 4)];
    const loss = (op: typeof depthwiseConv2d) => (x: tf.Tensor, w: tf.Tensor) => {
      const y = op(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad);
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 5)));
    };
    const grads = (op: typeof depthwiseConv2d) => tf.tidy(() => toArrays(tf.grads(loss(op))([tf.tensor4d(xs, c.x), tf.tensor4d(ws, c.w)])));
    const before = tf.memory().numTensors;
    const [dx, dw] = grads(depthwiseConv2d);
    expect(tf.memory().numTensors).toBe(before);
    const [rx, rw] = await onCpu(() => grads((x, w, s, p) => tf.depthwiseConv2d(x, w, s, p)));
    expect(relError(dx, rx)).toBeLessThan(1e-4);
    expect(relError(dw, rw)).toBeLessThan(1e-4);
  });
});
