// Shared fixture of the attack tests: a 4-class 8x8x1 task, a linear model, an MLP and a surrogate MLP.
import * as tf from '@tensorflow/tfjs-core';
import { fit, samples, tensors, type Samples, type TinyModel } from '../../helpers/tiny';
import type { EpsilonResult } from '../../../src/engine/attacks';

export const TASK = { classes: 4, size: 8, seed: 3, contrast: 0.08, noise: 0.15 };

export interface Fixture {
  test: Samples;
  linear: TinyModel;
  mlp: TinyModel;
  /** Same architecture, other seed: the transfer attack's source. */
  surrogate: TinyModel;
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  indices: number[];
  dispose(): void;
}

export function fixture(n = 24): Fixture {
  const train = samples(TASK, 0, 200);
  const test = samples(TASK, 1000, n);
  const linear = fit(train, TASK.classes, { seed: 1 });
  const mlp = fit(train, TASK.classes, { seed: 2, hidden: 16 });
  const surrogate = fit(train, TASK.classes, { seed: 5, hidden: 16 });
  const { x, y } = tensors(test);
  return {
    test, linear, mlp, surrogate, x, y,
    indices: Array.from({ length: n }, (_, i) => 1000 + i),
    dispose: () => {
      [linear, mlp, surrogate].forEach((m) => m.dispose());
      tf.dispose([x, y]);
    },
  };
}

export function acc(r: EpsilonResult): number {
  return r.correct.reduce((a, b) => a + b, 0) / r.correct.length;
}
