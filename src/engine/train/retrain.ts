// Resumable retraining: a job is a sequence of deterministic steps, each a fixed number of mini-batches,
// whose whole state (shadow weights, optimizer, RNG, data cursor, metrics) is plain data (state.ts).
import * as tf from '@tensorflow/tfjs-core';
import { fitToModel, gather } from '../data/dataset';
import type { Dataset } from '../data/types';
import { expect } from '../errors';
import type { Model } from '../model/types';
import { Rng } from '../rng';
import { configFingerprint, resolveRetrainConfig, type RetrainConfig } from './config';
import { permutation } from './fit';
import { prepareBatch } from './methods';
import { Optimizer } from './optim';
import type { RetrainState, StepMetrics } from './state';
import { isTrainable } from './ste';

/** A fresh job: the shadow weights start as the float model's. `dataSize` is the training set's length. */
export function initRetrain(float: Model, config: unknown, dataSize: number): RetrainState {
  const c = resolveRetrainConfig(config);
  expect(Number.isInteger(dataSize) && dataSize >= 1, 'invalid_data', `expected a training set of at least 1 sample, got ${dataSize}`);
  const perEpoch = Math.ceil(dataSize / c.batchSize);
  const weights: RetrainState['weights'] = {};
  for (const k of Object.keys(float.weights).sort()) {
    const t = float.weights[k]!;
    weights[k] = { shape: [...t.shape], values: t.dataSync().slice() as Float32Array };
  }
  return {
    config: configFingerprint(c),
    dataSize,
    plannedBatches: c.method === 'none' ? 0 : Math.min(c.epochs * perEpoch, c.maxBatches ?? Infinity),
    steps: 0,
    batches: 0,
    cursor: { epoch: 0, offset: 0, orderSeed: c.seed },
    rng: new Rng(c.seed, 'retrain').state(),
    weights,
    optimizer: { name: c.optimizer.name, step: 0, slots: {} },
    metrics: [],
  };
}

export const isDone = (s: RetrainState): boolean => s.batches >= s.plannedBatches;

/** The epoch's sample order, cached across the batches of a step. */
function orderOf(cache: { epoch: number; order: number[] } | undefined, s: RetrainState['cursor'], n: number) {
  return cache && cache.epoch === s.epoch ? cache : { epoch: s.epoch, order: permutation(n, new Rng(s.orderSeed, 'retrain-order', s.epoch)) };
}

/** The learning-rate multiplier of batch t of T. */
export function lrScale(schedule: RetrainConfig['schedule'], t: number, total: number): number {
  return schedule === 'cosine' ? 0.5 * (1 + Math.cos((Math.PI * t) / total)) : 1;
}

/** The adversarial eps multiplier of batch t of T: a linear ramp over the first `warmup` fraction (batch 0 gets 1 / ramp length). */
export function warmupScale(warmup: number, t: number, total: number): number {
  const ramp = Math.ceil(warmup * total);
  return ramp === 0 ? 1 : Math.min(1, (t + 1) / ramp);
}

/** Checks that `state` belongs to these settings and data and has work left; returns the resolved settings. */
function checkResume(state: RetrainState, float: Model, data: Dataset, config: unknown): { c: RetrainConfig; ds: Dataset } {
  const c = resolveRetrainConfig(config);
  expect(state.config === configFingerprint(c), 'invalid_argument', `expected the settings the job started with (${state.config}), got ${configFingerprint(c)}`, 'settings');
  const ds = fitToModel(data, float.inputShape, float.numClasses);
  expect(ds.shape[0] === state.dataSize, 'invalid_data', `expected the training set of ${state.dataSize} samples the job started with, got ${ds.shape[0]}`);
  expect(!isDone(state), 'invalid_argument', `expected a job with batches left, got one that finished its ${state.plannedBatches}`);
  return { c, ds };
}

function stepMetrics(step: number, batches: number, samples: number, sums: Record<string, number>): StepMetrics {
  const m: StepMetrics = { step, batches, samples, loss: sums.loss! / batches, ce: sums.ce! / batches };
  for (const k of ['boundary', 'distill'] as const) if (sums[k] !== undefined) m[k] = sums[k] / batches;
  if (sums.bracketed !== undefined) m.bracketed = sums.bracketed;
  return m;
}

/** One step: up to `batchesPerStep` mini-batches. Pure: `state` is not modified, the result is new. */
export function retrainStep(state: RetrainState, float: Model, data: Dataset, config: unknown): RetrainState {
  const { c, ds } = checkResume(state, float, data, config);
  const rng = new Rng(state.rng);
  const cursor = { ...state.cursor };
  let params: tf.NamedTensorMap = {};
  for (const [k, w] of Object.entries(state.weights)) params[k] = tf.tensor(w.values, w.shape, 'float32');
  const opt = new Optimizer(c.optimizer, state.optimizer);
  const sums: Record<string, number> = {};
  let [batches, samples] = [0, 0];
  let cache: { epoch: number; order: number[] } | undefined;
  try {
    for (; batches < c.batchesPerStep && state.batches + batches < state.plannedBatches; batches++) {
      const t = state.batches + batches;
      cache = orderOf(cache, cursor, ds.shape[0]);
      const indices = cache.order.slice(cursor.offset, cursor.offset + c.batchSize);
      const sched = { scale: lrScale(c.schedule, t, state.plannedBatches), epsScale: warmupScale(c.adversarial.warmup, t, state.plannedBatches) };
      const parts = trainBatch(c, float, ds, { indices, seed: rng.int(2 ** 31), ...sched }, opt, params);
      params = parts.params;
      for (const [k, v] of Object.entries(parts.values)) sums[k] = (sums[k] ?? 0) + v;
      samples += indices.length;
      cursor.offset += indices.length;
      if (cursor.offset >= ds.shape[0]) Object.assign(cursor, { epoch: cursor.epoch + 1, offset: 0 });
    }
    const weights: RetrainState['weights'] = {};
    for (const k of Object.keys(params).sort()) weights[k] = { shape: [...params[k]!.shape], values: params[k]!.dataSync().slice() as Float32Array };
    const metrics = [...state.metrics, stepMetrics(state.steps, batches, samples, sums)];
    return { ...state, steps: state.steps + 1, batches: state.batches + batches, cursor, rng: rng.state(), weights, optimizer: opt.exportState(), metrics };
  } finally {
    opt.dispose();
    tf.dispose(Object.values(params));
  }
}

/** One optimizer update on one mini-batch; disposes the old trainable tensors it replaces. */
function trainBatch(c: RetrainConfig, float: Model, ds: Dataset, b: { indices: number[]; seed: number; scale: number; epsScale: number }, opt: Optimizer, params: tf.NamedTensorMap) {
  const { indices, seed, epsScale } = b;
  const { x, y } = gather(ds, indices);
  const prepared = prepareBatch(c, float, params, { x, y, indices, seed, epsScale });
  const keys = Object.keys(params).filter(isTrainable).sort();
  const parts: Record<string, number> = {};
  try {
    const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => {
      const w = { ...params };
      keys.forEach((k, i) => (w[k] = ws[i]!));
      return prepared.loss(w, parts);
    })(keys.map((k) => params[k]!));
    parts.loss = value.dataSync()[0]!;
    if (prepared.bracketed !== undefined) parts.bracketed = prepared.bracketed;
    const updated = opt.apply(params, Object.fromEntries(keys.map((k, i) => [k, grads[i]!])), b.scale);
    tf.dispose([value, ...grads, ...keys.map((k) => params[k]!)]);
    return { params: { ...params, ...updated }, values: parts };
  } finally {
    prepared.dispose();
    tf.dispose([x, y]);
  }
}

/** The float model of the current shadow weights (e.g. the adversarially trained float model of at-then-quantize). */
export function shadowModel(state: RetrainState, float: Model): Model {
  const ws: tf.NamedTensorMap = {};
  for (const [k, w] of Object.entries(state.weights)) ws[k] = tf.tensor(w.values, w.shape, 'float32');
  try {
    return float.withWeights(ws);
  } finally {
    tf.dispose(Object.values(ws));
  }
}

/** The retrained k-bit model: Q_k of the shadow weights, exactly Model.quantize's grid (saveable as uint8). */
export function finish(state: RetrainState, float: Model, config: unknown): Model {
  const c = resolveRetrainConfig(config);
  expect(state.config === configFingerprint(c), 'invalid_argument', `expected the settings the job started with (${state.config}), got ${configFingerprint(c)}`, 'settings');
  const shadow = shadowModel(state, float);
  try {
    return shadow.quantize(c.bits, { perChannel: c.perChannel });
  } finally {
    shadow.dispose();
  }
}
