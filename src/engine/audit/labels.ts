// Label-free audits: each sample's label is the model's own clean prediction (argmax of its logits).
import * as tf from '@tensorflow/tfjs-core';
import { batch } from '../data/dataset';
import type { Dataset } from '../data/types';
import type { Classifier } from '../types';

/** The class the model predicts for each sample of `data`, in micro-batches of `microBatch`. */
export function labelByModel(model: Classifier, data: Dataset, microBatch: number): Int32Array {
  const n = data.shape[0];
  const out = new Int32Array(n);
  for (let s = 0; s < n; s += microBatch) {
    const e = Math.min(n, s + microBatch);
    const pred = tf.tidy(() => {
      const { x } = batch(data, s, e);
      return tf.argMax(model.logits(x), 1).dataSync();
    });
    out.set(pred, s);
  }
  return out;
}
