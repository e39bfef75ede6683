// One training batch of each retraining method: its inputs (adversarial / boundary points) and its loss.
import * as tf from '@tensorflow/tfjs-core';
import { project } from '../attacks/common';
import { Pgd } from '../attacks/pgd';
import { forward } from '../model/execute';
import type { Graph } from '../model/ir';
import type { Model } from '../model/types';
import type { Classifier } from '../types';
import { boundarySamples } from './boundary';
import type { RetrainConfig } from './config';
import { batchMapping } from './defended';
import { distillation, meanCrossEntropy } from './losses';
import { quantizedWeights } from './ste';

export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  /** Global indices of the samples in the training set (they key the attack randomness). */
  indices: number[];
  /** Drawn from the job's RNG for this batch. */
  seed: number;
  /** Multiplies the adversarial eps (warm-up). */
  epsScale: number;
}

/** The loss of a batch as a function of the trainable weights, and the tensors it closes over. */
export interface PreparedBatch {
  loss(w: tf.NamedTensorMap, parts: Record<string, number>): tf.Scalar;
  bracketed?: number;
  dispose(): void;
}

/** A classifier over fixed weights (no STE needed: attacks differentiate w.r.t. x only). */
function classifierOf(float: Model, spec: Graph, w: tf.NamedTensorMap): Classifier {
  return { inputShape: float.inputShape, numClasses: float.numClasses, logits: (x) => tf.tidy(() => forward(spec, w, x)) };
}

/** Madry's inner maximization: PGD at L-inf from a random start, keyed by (batch seed, global index). */
function pgdPoints(model: Classifier, b: Batch, c: RetrainConfig['adversarial']): tf.Tensor4D {
  const ctx = { norm: 'linf' as const, seed: b.seed, indices: b.indices, eot: 1 };
  const eps = c.eps * b.epsScale;
  // Steps scale with eps during warm-up, so that every PGD can still reach the ball's surface.
  const stepSize = c.stepSize * b.epsScale;
  return tf.tidy(() => {
    if (eps === 0) return tf.clone(b.x);
    const raw = new Pgd({ steps: c.steps, stepSize, restarts: 1, randomStart: c.randomStart }).run(model, b.x, b.y, eps, ctx);
    return project(raw, b.x, eps, 'linf');
  });
}

/** Records a scalar's value for the step metrics and passes it on. */
function note(parts: Record<string, number>, name: string, t: tf.Scalar): tf.Scalar {
  parts[name] = t.dataSync()[0]!;
  return t;
}

/**
 * With a defense, every model the method evaluates (the network trained, the frozen float model, the models its
 * inner attacks run on) sees g of the method's inputs (x, x_adv, x_b): the method applied to net o g.
 */
export function prepareBatch(cfg: RetrainConfig, float: Model, params: tf.NamedTensorMap, b: Batch): PreparedBatch {
  const spec = float.graph;
  const g = batchMapping(cfg.defense, b);
  const bits = cfg.method === 'at-then-quantize' ? null : cfg.bits;
  const q = (w: tf.NamedTensorMap, x: tf.Tensor4D) => forward(spec, quantizedWeights(w, bits, cfg.perChannel), x);
  if (cfg.method === 'pgd-at' || cfg.method === 'at-then-quantize') {
    const frozen = tf.tidy(() => (bits === null ? params : quantizedWeights(params, bits, cfg.perChannel)));
    const xAdv = pgdPoints(g.behind(classifierOf(float, spec, frozen)), b, cfg.adversarial);
    tf.dispose(Object.keys(frozen).filter((k) => frozen[k] !== params[k]).map((k) => frozen[k]!));
    const gAdv = g.input(xAdv);
    xAdv.dispose();
    return {
      loss: (w, parts) => note(parts, 'ce', meanCrossEntropy(q(w, gAdv), b.y)),
      dispose: () => gAdv.dispose(),
    };
  }
  const gx = g.input(b.x);
  if (cfg.method === 'qat') return { loss: (w, parts) => note(parts, 'ce', meanCrossEntropy(q(w, gx), b.y)), dispose: () => gx.dispose() };
  const o = cfg.boundary;
  const bs = o.lambdaB > 0 ? boundarySamples(g.behind(float), b.x, b.y, o) : undefined;
  bs?.far.dispose();
  const gb = bs ? g.input(bs.boundary) : undefined;
  bs?.boundary.dispose();
  const zf = o.lambdaD > 0 ? float.logits(gx) : undefined;
  return {
    bracketed: bs ? bs.found.reduce((a, v) => a + v, 0) : undefined,
    loss: (w, parts) => {
      const zq = q(w, gx);
      let total = note(parts, 'ce', meanCrossEntropy(zq, b.y));
      if (gb) total = tf.add(total, tf.mul(note(parts, 'boundary', meanCrossEntropy(q(w, gb), b.y)), o.lambdaB));
      if (zf) total = tf.add(total, tf.mul(note(parts, 'distill', distillation(zf, zq, o.temperature)), o.lambdaD));
      return total;
    },
    dispose: () => tf.dispose([gx, ...(gb ? [gb] : []), ...(zf ? [zf] : [])]),
  };
}
