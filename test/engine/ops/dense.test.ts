import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { dense } from '../../../src/engine/ops/index';
import { data, onCpu, relError, toArrays } from './reference';

const CASES: Array<[number, number, number, boolean]> = [
  [1, 7, 3, true],
  [3, 5, 11, true],
  [3, 16, 10, false],
];

describe('dense', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it.each(CASES)('batch %i, %i -> %i, bias %s: gradients match tfjs-cpu, forward equals stock', async (n, i, o, bias) => {
    const [xs, ws, bs] = [data([n, i], 1), data([i, o], 2), data([o], 3)];
    const run = (op: typeof dense) =>
      tf.tidy(() => {
        const args = [tf.tensor2d(xs, [n, i]), tf.tensor2d(ws, [i, o]), tf.tensor1d(bs)];
        const used = bias ? args : args.slice(0, 2);
        const loss = (...t: tf.Tensor[]) =>
          tf.sum(tf.mul(op(t[0] as tf.Tensor2D, t[1] as tf.Tensor2D, t[2] as tf.Tensor1D | undefined), tf.randomNormal([n, o], 0, 1, 'float32', 4)));
        const y = op(args[0] as tf.Tensor2D, args[1] as tf.Tensor2D, bias ? (args[2] as tf.Tensor1D) : undefined);
        return [Array.from(y.dataSync()), ...toArrays(tf.grads(loss)(used))];
      });
    const before = tf.memory().numTensors;
    const ours = run(dense);
    expect(tf.memory().numTensors).toBe(before);
    const stock = (x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D) => {
      const y = tf.matMul(x, w);
      return (b ? tf.add(y, b) : y) as tf.Tensor2D;
    };
    expect(ours[0]).toEqual(run(stock)[0]);
    const ref = await onCpu(() => run(stock));
    expect(ours.length).toBe(bias ? 4 : 3);
    for (let k = 1; k < ours.length; k++) expect(relError(ours[k], ref[k])).toBeLessThan(1e-4);
  });
});
