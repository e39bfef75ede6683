// HopSkipJump against its published properties (Chen et al. 2020): the point it returns stays adversarial, its
// distance to x shrinks as the query budget grows, and it never spends more than the budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { HopSkipJump } from '../../../src/engine/attacks/hsj';
import type { AttackOutput } from '../../../src/engine/attacks';
import type { Norm } from '../../../src/engine/types';
import { fixture, type Fixture } from './fixture';

let f: Fixture;
beforeAll(async () => {
  await initEngine(await loadWasm());
  f = fixture(12);
});
afterAll(() => f.dispose());

function distances(adv: Float32Array, x: Float32Array, n: number, norm: Norm): number[] {
  const per = x.length / n;
  return Array.from({ length: n }, (_, i) => {
    let r = 0;
    for (let k = i * per; k < (i + 1) * per; k++) r = norm === 'linf' ? Math.max(r, Math.abs(adv[k]! - x[k]!)) : r + (adv[k]! - x[k]!) ** 2;
    return norm === 'linf' ? r : Math.sqrt(r);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.each(['linf', 'l2'] as Norm[])('HopSkipJump %s', (norm) => {
  it('stays adversarial, gets closer with more queries, stays within its budget', () => {
    const ctx = { norm, seed: 1, indices: f.indices.slice(0, 12), eot: 1 };
    // eps ~ 0: no sample stops early, so every run spends its budget on shrinking the distance.
    const run = (queries: number) => new HopSkipJump({ queries }).run(f.mlp, f.x, f.y, 1e-9, ctx) as AttackOutput;
    const before = tf.memory().numTensors;
    const small = run(300);
    const large = run(1500);
    const x = f.x.dataSync() as Float32Array;
    const labels = Array.from(f.y.dataSync());
    const pred = (t: tf.Tensor4D) => {
      const p = tf.tidy(() => tf.argMax(f.mlp.logits(t), 1));
      const out = Array.from(p.dataSync());
      p.dispose();
      return out;
    };
    const [pSmall, pLarge] = [pred(small.adv), pred(large.adv)];
    const dSmall = distances(small.adv.dataSync() as Float32Array, x, 12, norm);
    const dLarge = distances(large.adv.dataSync() as Float32Array, x, 12, norm);
    const attacked = labels.map((_, i) => i).filter((i) => dLarge[i]! > 0);
    expect(attacked.length).toBeGreaterThanOrEqual(10);
    for (const i of attacked) {
      expect(pLarge[i]).not.toBe(labels[i]);
      expect(pSmall[i]).not.toBe(labels[i]);
    }
    expect(median(attacked.map((i) => dLarge[i]!))).toBeLessThan(median(attacked.map((i) => dSmall[i]!)));
    expect(Math.max(...small.queries)).toBeLessThanOrEqual(300);
    expect(Math.max(...large.queries)).toBeLessThanOrEqual(1500);
    expect(Math.min(...large.queries)).toBeGreaterThan(300);
    tf.dispose([small.adv, large.adv]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
