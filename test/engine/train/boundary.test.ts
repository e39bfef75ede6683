// Boundary samples lie on the float model's decision boundary: the true label at x_b, another label within the tolerance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { boundarySamples, type BoundaryOptions } from '../../../src/engine/train';
import type { Model } from '../../../src/engine/model';
import { dataset, floatModel } from './fixture';

let model: Model;
beforeAll(async () => {
  await initEngine(await loadWasm());
  model = floatModel(dataset(0, 128));
});
afterAll(() => model.dispose());

const OPTS: BoundaryOptions = { eps: 0.3, steps: 8, stepSize: 0.05, tolerance: 1 / 255 };

function predictions(t: tf.Tensor4D): Int32Array {
  return tf.tidy(() => tf.argMax(model.logits(t), 1).dataSync() as Int32Array).slice();
}

const maxAbs = (a: tf.Tensor, b: tf.Tensor): Float32Array => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b)), [1, 2, 3]).dataSync() as Float32Array).slice();

describe('boundarySamples', () => {
  it('brackets the float decision boundary to the tolerance, inside the eps ball', () => {
    const d = dataset(500, 32);
    const x = tf.tensor4d(d.x as Float32Array, d.shape);
    const y = tf.tensor1d(d.y, 'int32');
    const before = tf.memory().numTensors;
    const r = boundarySamples(model, x, y, OPTS);
    const [pb, pf] = [predictions(r.boundary), predictions(r.far)];
    const gap = maxAbs(r.far, r.boundary);
    const dist = maxAbs(r.boundary, x);
    const bracketed = Array.from(r.found).filter(Boolean).length;
    expect(bracketed, 'the test needs bracketed samples to check').toBeGreaterThan(4);
    for (let i = 0; i < d.y.length; i++) {
      expect(dist[i]).toBeLessThanOrEqual(OPTS.eps + 1e-6);
      if (r.wrongAtX[i]) continue;
      expect(pb[i], `sample ${i}: x_b keeps the true label`).toBe(d.y[i]);
      if (!r.found[i]) continue;
      expect(pf[i], `sample ${i}: the far end is misclassified`).not.toBe(d.y[i]);
      expect(gap[i]).toBeLessThanOrEqual(OPTS.tolerance + 1e-6);
    }
    tf.dispose([r.boundary, r.far]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('uses the PGD endpoint, with the true label, where PGD does not flip the prediction', () => {
    const d = dataset(600, 16);
    const x = tf.tensor4d(d.x as Float32Array, d.shape);
    const y = tf.tensor1d(d.y, 'int32');
    // A tiny ball: almost nothing flips, so x_b = far = the PGD endpoint.
    const r = boundarySamples(model, x, y, { ...OPTS, eps: 0.002, stepSize: 0.001 });
    const pb = predictions(r.boundary);
    const gap = maxAbs(r.far, r.boundary);
    const dist = maxAbs(r.boundary, x);
    for (let i = 0; i < d.y.length; i++) {
      if (r.found[i] || r.wrongAtX[i]) continue;
      expect(pb[i]).toBe(d.y[i]);
      expect(gap[i]).toBe(0);
      expect(dist[i]).toBeGreaterThan(0);
      expect(dist[i]).toBeLessThanOrEqual(0.002 + 1e-6);
    }
    tf.dispose([r.boundary, r.far, x, y]);
  });
});
