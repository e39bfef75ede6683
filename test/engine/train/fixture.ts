// Shared fixture of the training tests: the 4-class 8x8 task as a Dataset, and a tiny CNN (conv, pool, BN, dense) pre-fitted by `fit`.
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type Model } from '../../../src/engine/model';
import type { Dataset } from '../../../src/engine/data/types';
import { fit } from '../../../src/engine/train';
import { buildLayersModel } from '../../helpers/models';
import { samples } from '../../helpers/tiny';

export const TASK = { classes: 4, size: 8, seed: 3, contrast: 0.1, noise: 0.15 };

export function dataset(from: number, n: number): Dataset {
  const s = samples(TASK, from, n);
  return { name: 'tiny', x: s.x, y: s.y, shape: [n, 8, 8, 1] };
}

/** A float CNN with every trainable layer kind, trained briefly so that it is a sensible "float model". */
export function floatModel(data: Dataset): Model {
  const b = buildLayersModel(
    [
      { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
      { type: 'maxPool', poolSize: 2 },
      { type: 'batchNorm' },
      { type: 'flatten' },
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dense', units: TASK.classes },
    ],
    { inputShape: [8, 8, 1], seed: 4 },
  );
  const init = loadLayersModel(b.json, b.shards);
  const trained = fit(init, data, { epochs: 3, batchSize: 16, learningRate: 0.01, seed: 1 });
  init.dispose();
  return trained;
}

export function accuracyOn(model: Model, data: Dataset): number {
  return tf.tidy(() => {
    const x = tf.tensor4d(data.x as Float32Array, data.shape);
    const ok = tf.equal(tf.argMax(model.logits(x), 1), tf.tensor1d(data.y, 'int32'));
    return tf.mean(tf.cast(ok, 'float32')).dataSync()[0]!;
  });
}
