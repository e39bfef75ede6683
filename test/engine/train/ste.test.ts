// The straight-through quantizer: forward equals METHOD.md's Q_k (quantizeTensor), gradient is the STE mask.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { quantizeTensor } from '../../../src/engine/model';
import { quantizeSte, quantizeWithMask } from '../../../src/engine/train';
import { Rng } from '../../../src/engine/rng';

beforeAll(async () => initEngine(await loadWasm()));

function randomWeights(n: number, seed: number, scale = 0.5): Float32Array {
  const r = new Rng(seed, 'ste-test');
  return Float32Array.from({ length: n }, () => scale * r.normal());
}

describe('quantizeSte', () => {
  it.each([1, 2, 3, 4, 8])('forward equals quantizeTensor at %i bits, per tensor and per channel', (bits) => {
    const w = randomWeights(3 * 3 * 2 * 5, bits);
    for (const perChannel of [false, true]) {
      const t = tf.tensor4d(w, [3, 3, 2, 5]);
      const q = quantizeSte(t, bits, perChannel);
      const want = Array.from(quantizeTensor(w, bits, perChannel ? 5 : 1).values);
      // k = 1: mean|W| is summed in float32 by tf, in double by quantizeTensor.
      if (bits === 1) Array.from(q.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
      else expect(Array.from(q.dataSync())).toEqual(want);
      tf.dispose([t, q]);
    }
  });

  it.each([2, 4])('passes the gradient through unchanged at %i bits (max-scaled: every weight is inside the clamp)', (bits) => {
    const w = tf.tensor2d(randomWeights(24, 7), [6, 4]);
    const dy = tf.tensor2d(randomWeights(24, 8), [6, 4]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(quantizeSte(x, bits), dy)))(w);
    expect(Array.from(g.dataSync())).toEqual(Array.from(dy.dataSync()));
    tf.dispose([w, dy, g]);
  });

  it('zeroes the gradient outside the clamp window (binary: |W| > 1)', () => {
    const values = [-2, -1, -0.3, 0, 0.5, 1, 1.5, 3];
    const w = tf.tensor1d(values);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(quantizeSte(x, 1), 3)))(w);
    expect(Array.from(g.dataSync())).toEqual(values.map((v) => (Math.abs(v) <= 1 ? 3 : 0)));
    tf.dispose([w, g]);
  });

  it('marks a clamped element with mask 0 when the scale comes from elsewhere (the mask definition)', () => {
    // The largest element defines s, so |round(W / s)| <= m for every element: the mask is all ones.
    const { q, mask } = quantizeWithMask(tf.tensor1d([0.1, -0.7, 0.35]), 2);
    expect(Array.from(mask.dataSync())).toEqual([1, 1, 1]);
    expect(Array.from(q.dataSync())).toEqual(Array.from(quantizeTensor(Float32Array.of(0.1, -0.7, 0.35), 2).values));
    tf.dispose([q, mask]);
  });

  it('leaves no tensors behind', () => {
    const w = tf.tensor2d(randomWeights(12, 3), [3, 4]);
    const before = tf.memory().numTensors;
    const g = tf.grad((x: tf.Tensor) => tf.sum(quantizeSte(x, 3)))(w);
    g.dispose();
    tf.tidy(() => {
      quantizeSte(w, 2, true);
    });
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });
});
