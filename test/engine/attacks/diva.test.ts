// DIVA against its defining property: on a float model and its quantized twin, the rate of inputs where the twin
// is wrong while the float model stays right is at least what PGD on the twin finds; and it is seeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { runAttack } from '../../../src/engine/attacks';
import type { Classifier, Norm } from '../../../src/engine/types';
import { fixture, type Fixture } from './fixture';

let f: Fixture;
let q: Classifier & { dispose(): void };
beforeAll(async () => {
  await initEngine(await loadWasm());
  f = fixture(24);
  q = twin(f.mlp.weights, 2);
});
afterAll(() => {
  q.dispose();
  f.dispose();
});

/** The MLP with its kernels on a symmetric k-bit grid (METHOD.md), biases float. */
function twin(ws: tf.Tensor[], bits: number): Classifier & { dispose(): void } {
  const levels = 2 ** (bits - 1) - 1;
  const qs = ws.map((w, i) => (i % 2 === 1 ? tf.clone(w) : tf.tidy(() => {
    const s = tf.div(tf.max(tf.abs(w)), levels);
    return tf.mul(tf.clipByValue(tf.round(tf.div(w, s)), -levels, levels), s);
  })));
  return {
    inputShape: f.mlp.inputShape,
    numClasses: f.mlp.numClasses,
    logits: (x) => tf.tidy(() => {
      const h = tf.relu(tf.add(tf.matMul(tf.reshape(x, [x.shape[0], -1]), qs[0] as tf.Tensor2D), qs[1]!));
      return tf.add(tf.matMul(h, qs[2] as tf.Tensor2D), qs[3]!) as tf.Tensor2D;
    }),
    dispose: () => tf.dispose(qs),
  };
}

/** Fraction of samples where the twin is wrong and the float model right on the adversarials. */
function divergence(adv: Float32Array): number {
  const labels = Array.from(f.y.dataSync());
  const preds = tf.tidy(() => {
    const x = tf.tensor4d(adv, f.x.shape);
    return [tf.argMax(q.logits(x), 1), tf.argMax(f.mlp.logits(x), 1)];
  });
  const [pq, pf] = preds.map((p) => Array.from(p.dataSync()));
  tf.dispose(preds);
  return labels.filter((y, i) => pq![i] !== y && pf![i] === y).length / labels.length;
}

describe.each([['linf', [0.05, 0.1, 0.15]], ['l2', [0.5, 1, 1.5]]] as [Norm, number[]][])('DIVA %s', (norm, epsilons) => {
  it('finds at least as many quantization-only failures as PGD on the twin, within the ball, seeded', () => {
    const opts = { norm, epsilons, seed: 4, indices: f.indices, keep: 24, source: f.mlp };
    const before = tf.memory().numTensors;
    const diva = runAttack({ name: 'diva', steps: 20 }, q, f.x, f.y, opts);
    const pgd = runAttack({ name: 'pgd', steps: 20 }, q, f.x, f.y, opts);
    expect(tf.memory().numTensors).toBe(before);
    const rates = diva.map((r) => divergence(r.examples!));
    rates.forEach((rate, i) => expect(rate).toBeGreaterThanOrEqual(divergence(pgd[i]!.examples!)));
    expect(Math.max(...rates)).toBeGreaterThan(0);
    const again = runAttack({ name: 'diva', steps: 20 }, q, f.x, f.y, opts);
    again.forEach((r, i) => expect(Array.from(r.examples!)).toEqual(Array.from(diva[i]!.examples!)));
  });
});
