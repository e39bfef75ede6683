// Known results on linear classifiers z = W^T x + b: the minimal L-inf perturbation that makes class j beat y
// is (z_y - z_j) / ||w_y - w_j||_1 when [0, 1] does not bind; FGSM finds it exactly in the binary case.
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { runAttack, type AttackSpec } from '../../../src/engine/attacks';
import { fit, samples, tensors, type TinyModel } from '../../helpers/tiny';
import { fixture, type Fixture } from './fixture';

/** Per sample: min over j != y of (z_y - z_j) / ||w_y - w_j||_1 (negative when misclassified). */
function linfMargin(model: TinyModel, x: tf.Tensor4D, y: tf.Tensor1D): number[] {
  const W = model.weights[0].arraySync() as number[][];
  const z = tf.tidy(() => model.logits(x).arraySync());
  const labels = Array.from(y.dataSync());
  return z.map((row, n) => {
    const t = labels[n];
    let best = Infinity;
    row.forEach((zj, j) => {
      if (j === t) return;
      const l1 = W.reduce((s, w) => s + Math.abs(w[t] - w[j]), 0);
      best = Math.min(best, (row[t] - zj) / l1);
    });
    return best;
  });
}

let f: Fixture;
beforeAll(async () => {
  await initEngine(await loadWasm());
  f = fixture(24);
});
afterAll(() => f.dispose());

it('binary: FGSM at L-inf succeeds exactly when eps exceeds margin / ||w_1 - w_0||_1', () => {
  // Pixels in [0.3, 0.7] and eps <= 0.3: the [0, 1] box never binds, so the closed form is exact.
  const task = { classes: 2, size: 4, seed: 11, contrast: 0.05, noise: 0.1, lo: 0.3, hi: 0.7 };
  const model = fit(samples(task, 0, 100), 2, { seed: 1 });
  const test = samples(task, 500, 40);
  const { x, y } = tensors(test);
  const star = linfMargin(model, x, y);
  const epsilons = [0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2, 0.3];
  const res = runAttack({ name: 'fgsm' }, model, x, y, { norm: 'linf', epsilons, seed: 0, indices: Array.from({ length: 40 }, (_, i) => i) });
  let checked = 0;
  res.forEach((r) => {
    star.forEach((s, n) => {
      if (Math.abs(r.epsilon - s) < 1e-4) return; // too close to the boundary for float32
      expect(r.correct[n]).toBe(r.epsilon < s ? 1 : 0);
      checked++;
    });
  });
  // The flips are spread over the epsilons: the check is not vacuous.
  const flipped = res.map((r) => r.correct.filter((c) => c === 0).length);
  expect(new Set(flipped).size).toBeGreaterThan(3);
  expect(checked).toBeGreaterThan(300);
  model.dispose();
  tf.dispose([x, y]);
});

const ALL: AttackSpec[] = [
  { name: 'fgsm' }, { name: 'pgd', steps: 10, stepSize: 0.02 }, { name: 'apgd', steps: 10 },
  { name: 'square', queries: 200 }, { name: 'transfer', steps: 10, stepSize: 0.02 },
];

it.each(ALL)('multi-class: %o never flips a sample below the linear lower bound, and flips some above it', (spec) => {
  const star = linfMargin(f.linear, f.x, f.y);
  const res = runAttack(spec, f.linear, f.x, f.y, { norm: 'linf', epsilons: [0.03, 0.05, 0.1], seed: 1, indices: f.indices, source: f.surrogate });
  for (const r of res) star.forEach((s, n) => { if (r.epsilon < s - 1e-4) expect(r.correct[n]).toBe(1); });
  expect(res[2].correct.filter((c) => c === 0).length).toBeGreaterThan(12);
});
