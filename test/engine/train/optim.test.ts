// SGD with momentum and Adam against hand-computed updates; exported state resumes the same trajectory.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { Optimizer, type OptimizerConfig } from '../../../src/engine/train';

beforeAll(async () => initEngine(await loadWasm()));

const close = (got: ArrayLike<number>, want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));

/** Applies `grads` in turn to w = [1, -2]; returns the weights after each update. */
function run(opt: Optimizer, grads: number[][]): number[][] {
  let w: tf.Tensor = tf.tensor1d([1, -2]);
  const out: number[][] = [];
  for (const g of grads) {
    const gt = tf.tensor1d(g);
    const next = opt.apply({ w }, { w: gt })['w']!;
    tf.dispose([w, gt]);
    w = next;
    out.push(Array.from(w.dataSync()));
  }
  w.dispose();
  return out;
}

describe('Optimizer', () => {
  it('SGD with momentum: v = mu v + g, w = w - lr v', () => {
    const opt = new Optimizer({ name: 'sgd', learningRate: 0.1, momentum: 0.9 });
    const [w1, w2] = run(opt, [[0.5, -1], [0.2, 0.4]]);
    // v1 = g1 = [0.5, -1]; w1 = [0.95, -1.9]; v2 = 0.9 v1 + g2 = [0.65, -0.5]; w2 = [0.885, -1.85]
    close(w1!, [0.95, -1.9]);
    close(w2!, [0.885, -1.85]);
    opt.dispose();
  });

  it('Adam: bias-corrected moments, eps added to sqrt(v_hat)', () => {
    const cfg: OptimizerConfig = { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    const opt = new Optimizer(cfg);
    const [w1, w2] = run(opt, [[0.5, -1], [0.2, 0.4]]);
    // Step 1: m_hat = g, v_hat = g^2, so the update is lr * sign(g).
    close(w1!, [0.99, -1.99]);
    // Step 2, by hand for the first weight: m = 0.9*0.05 + 0.02 = 0.065, v = 0.999*0.00025 + 0.001*0.04 = 0.00028975.
    const mHat = 0.065 / (1 - 0.81);
    const vHat = 0.00028975 / (1 - 0.999 ** 2);
    close(w2!, [0.99 - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8), w2![1]!]);
    opt.dispose();
  });

  it.each(['sgd', 'adam'] as const)('%s: exported and re-imported state continues identically, bit for bit', (name) => {
    const cfg: OptimizerConfig = name === 'sgd' ? { name, learningRate: 0.05, momentum: 0.8 } : { name, learningRate: 0.05, beta1: 0.9, beta2: 0.99, epsilon: 1e-7 };
    const grads = [[0.3, -0.1], [0.2, 0.6], [-0.4, 0.1]];
    const straight = new Optimizer(cfg);
    const full = run(straight, grads);
    const first = new Optimizer(cfg);
    run(first, grads.slice(0, 1));
    const state = first.exportState();
    expect(state.step).toBe(1);
    expect(Object.keys(state.slots)).toEqual(name === 'sgd' ? ['w/momentum'] : ['w/m', 'w/v']);
    const resumed = Optimizer.importState(cfg, state);
    // Continue from the weights after step 1.
    let w: tf.Tensor = tf.tensor1d(full[0]!);
    for (const g of grads.slice(1)) {
      const gt = tf.tensor1d(g);
      const next = resumed.apply({ w }, { w: gt })['w']!;
      tf.dispose([w, gt]);
      w = next;
    }
    expect(Array.from(w.dataSync())).toEqual(full[2]);
    w.dispose();
    [straight, first, resumed].forEach((o) => o.dispose());
  });

  it('frees its slots on dispose', () => {
    const before = tf.memory().numTensors;
    const opt = new Optimizer({ name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    run(opt, [[1, 1]]);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
