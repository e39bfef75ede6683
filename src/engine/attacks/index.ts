// The attack protocol (foolbox attacks/base.py): validate, run per epsilon, clip to the ball and [0, 1], score.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError, expect } from '../errors';
import type { Classifier } from '../types';
import type { AttackOptions, AttackSpec, EpsilonResult, RunContext } from './types';
import { makeAttack } from './defaults';
import { project, query } from './common';

export { ATTACK_DEFAULTS, ATTACK_NAMES, attackWork, makeAttack } from './defaults';
export { LOSS_OF } from './types';
export type * from './types';

/**
 * Runs one attack on a batch for every epsilon of `opts.epsilons`. Epsilon 0 is the clean
 * input (no attack). Candidates are projected onto the epsilon ball and [0, 1] here, never
 * in the attacks; a sample's numbers depend only on its own global index (opts.indices).
 */
export function runAttack(spec: AttackSpec, model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, opts: AttackOptions): EpsilonResult[] {
  const attack = makeAttack(spec);
  expect(attack.norms.includes(opts.norm), 'invalid_argument', `expected a norm of ${spec.name} (${attack.norms.join(', ')}), got ${opts.norm}`, 'norm');
  validate(model, x, y, opts);
  const ctx: RunContext = { norm: opts.norm, seed: opts.seed, indices: opts.indices, eot: opts.eot ?? 1, source: opts.source };
  const keep = Math.min(opts.keep ?? 0, x.shape[0]);
  return opts.epsilons.map((eps) => {
    let queries: Int32Array | undefined;
    const adv = tf.tidy(() => {
      if (eps === 0) return tf.clone(x);
      const out = attack.run(model, x, y, eps, ctx);
      if (out instanceof tf.Tensor) return project(out, x, eps, opts.norm);
      queries = out.queries;
      return project(out.adv, x, eps, opts.norm);
    });
    try {
      const r = score(model, adv, y, ctx, [spec.name, eps, 'score'], eps, keep);
      return queries ? { ...r, queries } : r;
    } finally {
      adv.dispose();
    }
  });
}

function score(model: Classifier, adv: tf.Tensor4D, y: tf.Tensor1D, ctx: RunContext, key: (string | number)[], eps: number, keep: number): EpsilonResult {
  const [pred, ok] = tf.tidy(() => {
    const p = tf.argMax(query(model, adv, ctx, key), 1);
    return [p, tf.equal(p, tf.cast(y, 'int32'))];
  });
  const result: EpsilonResult = {
    epsilon: eps,
    correct: Uint8Array.from(ok.dataSync() as Uint8Array),
    predicted: Int32Array.from(pred.dataSync() as Int32Array),
  };
  tf.dispose([pred, ok]);
  if (keep > 0) {
    const n = adv.shape[1]! * adv.shape[2]! * adv.shape[3]!;
    result.examples = (adv.dataSync() as Float32Array).slice(0, keep * n);
  }
  return result;
}

function validate(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, opts: AttackOptions): void {
  const [, h, w, c] = x.shape;
  const shape = model.inputShape;
  expect(x.rank === 4 && h === shape[0] && w === shape[1] && c === shape[2], 'invalid_argument',
    `expected x of shape [N, ${shape.join(', ')}], got [${x.shape.join(', ')}]`, 'x');
  const n = x.shape[0];
  expect(y.rank === 1 && y.shape[0] === n, 'invalid_argument', `expected y of shape [${n}], got [${y.shape.join(', ')}]`, 'y');
  const [lo, hi] = tf.tidy(() => [tf.min(x).dataSync()[0], tf.max(x).dataSync()[0]]);
  expect(n > 0 && lo >= 0 && hi <= 1, 'invalid_argument', `expected x in [0, 1], got values in [${lo}, ${hi}]`, 'x');
  const labels = y.dataSync();
  labels.forEach((v) => {
    if (!(Number.isInteger(v) && v >= 0 && v < model.numClasses)) {
      throw new EngineError('invalid_argument', `expected labels in 0..${model.numClasses - 1}, got ${v}`, 'y');
    }
  });
  expect(opts.epsilons.length > 0 && opts.epsilons.every((e) => Number.isFinite(e) && e >= 0), 'invalid_argument',
    `expected epsilons a non-empty list of finite numbers >= 0, got [${opts.epsilons.join(', ')}]`, 'epsilons');
  expect(opts.indices.length === n && opts.indices.every((i) => Number.isInteger(i) && i >= 0), 'invalid_argument',
    `expected ${n} integer indices >= 0, got ${opts.indices.length}`, 'indices');
  const eot = opts.eot ?? 1;
  expect(Number.isInteger(eot) && eot >= 1, 'invalid_argument', `expected eot an integer >= 1, got ${eot}`, 'eot');
  expect(Number.isInteger(opts.seed), 'invalid_argument', `expected an integer seed, got ${opts.seed}`, 'seed');
  expect(!opts.source || sameShape(opts.source, model), 'invalid_argument', 'expected source with the input shape and classes of the model, got a different one', 'source');
}

function sameShape(a: Classifier, b: Classifier): boolean {
  return a.numClasses === b.numClasses && a.inputShape.every((v, i) => v === b.inputShape[i]);
}
