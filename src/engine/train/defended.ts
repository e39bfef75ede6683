// Fine-tuning behind the nonlinear mapping g (METHOD.md, "Nonlinear-mapping defense"): g for one training batch.
import * as tf from '@tensorflow/tfjs-core';
import { mapInput } from '../defense';
import { toMapping } from '../defense/settings';
import { expect } from '../errors';
import type { Classifier, Draw } from '../types';
import type { RetrainConfig } from './config';

/** g for the inputs of one batch, fixed for the batch: one draw of its random sub-grid when g is `random`. */
export interface BatchMapping {
  /**
   * g(x) as the network sees it in the loss (a new tensor; a copy of x without a defense). g has no weights, so
   * g(x) is a constant of the weight update: no gradient through g is needed, whatever g's own gradient is.
   */
  input(x: tf.Tensor4D): tf.Tensor4D;
  /**
   * `model` behind g for the attacks inside training (PGD-AT's inner maximisation, the boundary search). They
   * differentiate w.r.t. x, so g's backward pass is the identity (BPDA): g's masked gradient would stall them
   * as it stalls the audit's plain attack, and the points would be no harder than x.
   */
  behind(model: Classifier): Classifier;
}

const IDENTITY: BatchMapping = { input: (x) => tf.clone(x), behind: (m) => m };

/**
 * The batch's g. For `random` the draw is keyed by the batch's seed (drawn from the job's RNG, which the checkpoint
 * holds) and the samples' global indices: fresh per batch, and the same after a resume.
 */
export function batchMapping(defense: RetrainConfig['defense'], b: { seed: number; indices: number[] }): BatchMapping {
  if (defense === 'none') return IDENTITY;
  const mapping = toMapping(defense);
  const draw: Draw = { seed: b.seed, key: ['train'], indices: b.indices };
  const g = (x: tf.Tensor4D, adaptive: boolean) => {
    expect(x.shape[0] === b.indices.length, 'engine_failure', `expected a batch of ${b.indices.length} inputs behind g, got ${x.shape[0]}`);
    return mapInput(mapping, x, draw, { adaptive });
  };
  return {
    input: (x) => g(x, false),
    behind: (m) => ({ inputShape: m.inputShape, numClasses: m.numClasses, logits: (x) => tf.tidy(() => m.logits(g(x, true))) }),
  };
}
