// Plain supervised training of a model's float weights (Adam, cross-entropy), deterministic given the seed.
import * as tf from '@tensorflow/tfjs-core';
import { gather } from '../data/dataset';
import type { Dataset } from '../data/types';
import { expect } from '../errors';
import { forward } from '../model/execute';

import type { Model } from '../model/types';
import { Rng } from '../rng';
import { meanCrossEntropy } from './losses';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Trains a copy of `model`'s weights on `data`; returns the trained model (the input is untouched). */
export function fit(model: Model, data: Dataset, opts: FitOptions): Model {
  expect(opts.epochs >= 1 && opts.batchSize >= 1, 'invalid_argument', `expected epochs and batchSize >= 1, got ${opts.epochs}, ${opts.batchSize}`);
  const vars: Record<string, tf.Variable> = {};
  for (const [k, t] of Object.entries(model.weights)) vars[k] = tf.variable(t, true, `fit/${k}`);
  const optimizer = tf.train.adam(opts.learningRate);
  const n = data.shape[0];
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const order = permutation(n, new Rng(opts.seed, 'fit', epoch));
      let total = 0;
      for (let s = 0; s < n; s += opts.batchSize) {
        const { x, y } = gather(data, order.slice(s, s + opts.batchSize));
        const loss = optimizer.minimize(() => meanCrossEntropy(forward(model.graph, vars, x), y), true);
        total += loss!.dataSync()[0]! * x.shape[0];
        tf.dispose([x, y, loss!]);
      }
      opts.onEpoch?.(epoch, total / n);
    }
    return model.withWeights(vars);
  } finally {
    optimizer.dispose();
    tf.dispose(Object.values(vars));
  }
}
