import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import * as ops from '../../../src/engine/ops/index';
import { data, onCpu, relError } from './reference';

type Layers = Pick<typeof ops, 'conv2d' | 'maxPool' | 'dense'>;
const stock: Layers = {
  conv2d: (x, w, s, p) => tf.conv2d(x, w, s, p),
  maxPool: (x, k, s, p) => tf.maxPool(x, k, s, p),
  dense: (x, w, b) => tf.add(tf.matMul(x, w), b as tf.Tensor1D) as tf.Tensor2D,
};

const SHAPES = { x: [3, 9, 9, 2], w1: [3, 3, 2, 4], w2: [64, 5], b2: [5] };

/** conv 3x3 -> relu -> maxPool 2 ('same', 7 -> 4) -> dense 64 -> 5, softmax cross-entropy. */
function loss(l: Layers, x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor): tf.Scalar {
  const h = l.maxPool(tf.relu(l.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, [1, 1], 'valid')), [2, 2], [2, 2], 'same');
  const logits = l.dense(tf.reshape(h, [3, 64]), w2 as tf.Tensor2D, b2 as tf.Tensor1D);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 3, 4], 'int32'), 5), logits) as tf.Scalar;
}

/** dL/dx by tf.grad, then dL/dw1, dL/dw2, dL/db2 by tf.variableGrads: what attacks and training use. */
function gradients(l: Layers): number[][] {
  const x = tf.tensor(data(SHAPES.x, 1), SHAPES.x);
  const vars = (['w1', 'w2', 'b2'] as const).map((k, i) => tf.variable(tf.tensor(data(SHAPES[k], 2 + i), SHAPES[k]), true, `${k}_${Math.random()}`));
  const before = tf.memory().numTensors;
  const dx = tf.grad((xx: tf.Tensor) => loss(l, xx, vars[0], vars[1], vars[2]))(x);
  const { value, grads } = tf.variableGrads(() => loss(l, x, vars[0], vars[1], vars[2]));
  const out = [dx, ...vars.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
  tf.dispose([dx, value, ...Object.values(grads)]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, ...vars]);
  return out;
}

describe('a small CNN built from the ops', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it('has gradients w.r.t. input and all weights equal to the stock ones on tfjs-cpu', async () => {
    const ours = gradients(ops);
    const ref = await onCpu(() => gradients(stock));
    expect(ours).toHaveLength(4);
    ours.forEach((g, k) => expect(relError(g, ref[k]), `gradient ${k}`).toBeLessThan(1e-4));
    expect(ours[1].some((v) => v !== 0)).toBe(true);
  });
});
