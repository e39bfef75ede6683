// The nonlinear-mapping defense: g in front of a classifier, attacked plainly (gradient through g as
// written) or adaptively (BPDA, Athalye, Carlini & Wagner 2018: the backward pass of g is the identity).
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Draw } from '../types';
import { applyMapping, type Mapping } from './mappings';

export { MAPPING_DEFAULTS, applyMapping, random, sine, staircase, type Mapping } from './mappings';
export { DefenseSchema, DefenseSettingSchema, toMapping, type DefenseMapping, type DefenseSetting } from './settings';

export interface DefendOptions {
  /**
   * false: tfjs differentiates g as written (the "plain" audit row, where gradient masking shows).
   * true: BPDA, g's backward pass replaced by the identity for every mapping. The identity is the smooth
   * surrogate of all three: staircase and random are quantisers of x (g(x) ~ x up to 1/(2L)), and
   * sine is x plus a small oscillation (|g(x) - x| <= amp).
   */
  adaptive: boolean;
}

/** g as an attack sees it: as written (plain), or with its backward pass replaced by the identity (BPDA). */
export function mapInput(mapping: Mapping, x: tf.Tensor4D, draw: Draw | undefined, opts: DefendOptions): tf.Tensor4D {
  if (!opts.adaptive) return applyMapping(mapping, x, draw);
  const bpda = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: applyMapping(mapping, args[0] as tf.Tensor4D, draw),
    gradFunc: (dy: tf.Tensor) => dy,
  }));
  return bpda(x) as tf.Tensor4D;
}

/** The defended classifier x -> model(g(x)); randomized when g is `random` (attack it with EOT). */
export function defend(model: Classifier, mapping: Mapping, opts: DefendOptions): Classifier {
  return {
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    randomized: mapping.kind === 'random' || model.randomized === true,
    logits: (x: tf.Tensor4D, draw?: Draw) => tf.tidy(() => model.logits(mapInput(mapping, x, draw, opts), draw)),
  };
}
