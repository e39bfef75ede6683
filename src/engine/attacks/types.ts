// The attack protocol's types (foolbox-style): epsilons per call, per-sample seeded randomness.
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Norm } from '../types';

export type AttackName = 'fgsm' | 'pgd' | 'apgd' | 'apgd-dlr' | 'apgd-t' | 'cw' | 'square' | 'transfer' | 'diva' | 'hsj';

/** Settings of one attack; unset fields take the documented MNIST defaults. */
export interface AttackSpec {
  name: AttackName;
  /** Iterations (PGD, APGD) */
  steps?: number;
  /** Absolute step size (PGD); default 0.01 at L-inf, eps/4 at L2 (PGD_DEFAULTS). */
  stepSize?: number;
  /** Random restarts (PGD, APGD); the per-sample worst case is kept. */
  restarts?: number;
  /** Query budget (Square, HopSkipJump): forward passes per sample, the clean check included. */
  queries?: number;
  /** Start from a uniform random point of the epsilon ball (PGD, transfer); default true. */
  randomStart?: boolean;
  /** Square: initial fraction of pixels changed per query; default 0.8 (MNIST, the paper's value). */
  pInit?: number;
  /** Temperature T of the cross-entropy (FGSM, PGD, APGD-CE, transfer): the loss is CE(z / T, y). Default 1. */
  temperature?: number;
  /** APGD-T: target classes tried per sample (capped at classes - 1). Default 9. */
  targets?: number;
  /** DIVA: weight c of the float model's cross-entropy. Default 1. */
  c?: number;
}

export interface AttackOptions {
  norm: Norm;
  epsilons: readonly number[];
  seed: number;
  /** Global indices of the batch's samples in the data set: randomness is keyed by them. */
  indices: readonly number[];
  /** Gradient samples per step (EOT); > 1 when the model is randomized. Default 1. */
  eot?: number;
  /** Transfer attacks craft on this model and are scored on the target; DIVA keeps it correct. */
  source?: Classifier;
  /** Return the adversarial images of the first `keep` samples (for report pictures). Default 0. */
  keep?: number;
}

export interface EpsilonResult {
  epsilon: number;
  /** 1 where the sample is still classified correctly after the attack. */
  correct: Uint8Array;
  /** Predicted class after the attack, per sample. */
  predicted: Int32Array;
  /** Adversarial images of the first `keep` samples, flattened NHWC. */
  examples?: Float32Array;
  /** Model queries used per sample (decision-based attacks: HopSkipJump). */
  queries?: Int32Array;
}

/** What a query-counting attack returns: its candidates and the model queries each sample used. */
export interface AttackOutput {
  adv: tf.Tensor4D;
  queries: Int32Array;
}

/** One attack: `run` returns candidate adversarials for one epsilon; the protocol clips and scores. */
export interface Attack {
  readonly name: AttackName;
  readonly norms: readonly Norm[];
  run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): tf.Tensor4D | AttackOutput;
}

export interface RunContext {
  norm: Norm;
  seed: number;
  indices: readonly number[];
  eot: number;
  source?: Classifier;
}

/** The loss each attack ascends, as the report names it (`ce` at temperature T is written `ce/T=<T>`). */
export const LOSS_OF: Record<AttackName, string> = {
  fgsm: 'ce', pgd: 'ce', apgd: 'ce', transfer: 'ce', 'apgd-dlr': 'dlr', 'apgd-t': 'dlr-targeted', cw: 'cw',
  diva: 'ce(q)-c*ce(f)', square: 'margin', hsj: 'decision',
};

/** A per-sample loss to ascend; `t` are per-sample target classes (targeted losses only). */
export type LossFn = (z: tf.Tensor2D, y: tf.Tensor1D, t?: tf.Tensor1D) => tf.Tensor1D;
