// Retraining with the nonlinear mapping g in place: the network trains on g(x), random draws are seeded per batch
// (resume stays bit-identical), and fine-tuning behind g recovers the clean accuracy g takes away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import type { Dataset } from '../../../src/engine/data/types';
import { EngineError } from '../../../src/engine/errors';
import { applyMapping, defend, staircase } from '../../../src/engine/defense';
import type { Model } from '../../../src/engine/model';
import {
  configFingerprint, deserializeState, finish, initRetrain, isDone, resolveRetrainConfig, retrainStep, serializeState,
  type RetrainConfigInput, type RetrainMethod, type RetrainState,
} from '../../../src/engine/train';
import { loadLayersModel } from '../../../src/engine/model';
import { fit } from '../../../src/engine/train';
import { buildLayersModel } from '../../helpers/models';
import { accuracyOn, dataset, floatModel } from './fixture';

const DATA = dataset(0, 64);
const TEST = dataset(1000, 256);
let float: Model;
beforeAll(async () => {
  await initEngine(await loadWasm());
  float = floatModel(dataset(0, 128));
});
afterAll(() => float.dispose());

const STAIRCASE = { mapping: 'staircase', levels: 4 } as const;
const RANDOM = { mapping: 'random', levels: 4 } as const;

const cfg = (method: RetrainMethod, extra: Partial<RetrainConfigInput> = {}): RetrainConfigInput => ({
  method, bits: 2, seed: 11, batchSize: 16, batchesPerStep: 2, maxBatches: 6, epochs: 2,
  adversarial: { steps: 3, stepSize: 0.08 }, boundary: { steps: 3, stepSize: 0.05, eps: 0.2 }, ...extra,
});

function runJob(config: RetrainConfigInput, roundTrip = false, data: Dataset = DATA): RetrainState {
  let s = initRetrain(float, config, data.shape[0]);
  while (!isDone(s)) {
    s = retrainStep(s, float, data, config);
    if (roundTrip) s = deserializeState(serializeState(s));
  }
  return s;
}

/** The data set with every image replaced by g(image). */
function mapped(d: Dataset, m = staircase(4)): Dataset {
  const x = tf.tidy(() => applyMapping(m, tf.tensor4d(d.x as Float32Array, d.shape)).dataSync().slice() as Float32Array);
  return { ...d, x };
}

/** Clean accuracy of x -> model(g(x)). */
function accuracyBehind(model: Model, d: Dataset, m = staircase(4)): number {
  const defended = defend(model, m, { adaptive: false });
  return tf.tidy(() => {
    const ok = tf.equal(tf.argMax(defended.logits(tf.tensor4d(d.x as Float32Array, d.shape)), 1), tf.tensor1d(d.y, 'int32'));
    return tf.mean(tf.cast(ok, 'float32')).dataSync()[0]!;
  });
}

describe('retraining behind a defense', () => {
  it('trains on g(x): QAT behind staircase equals QAT without a defense on the data set mapped through g', () => {
    const behind = runJob(cfg('qat', { defense: STAIRCASE }));
    const premapped = runJob(cfg('qat'), false, mapped(DATA));
    expect(behind.weights).toEqual(premapped.weights);
    expect(behind.metrics).toEqual(premapped.metrics);
    // ... and it is not what training on x gives.
    expect(runJob(cfg('qat')).weights).not.toEqual(behind.weights);
  });

  it.each(['qat', 'boundary', 'pgd-at', 'at-then-quantize'] as const)('%s: random mapping, same seed -> same weights; resumed == uninterrupted', (method) => {
    const c = cfg(method, { defense: RANDOM });
    const straight = serializeState(runJob(c));
    expect(serializeState(runJob(c))).toEqual(straight);
    expect(serializeState(runJob(c, true))).toEqual(straight);
    // The draw is part of the training: another seed, or no mapping, trains other weights.
    expect(runJob(cfg(method, { defense: RANDOM, seed: 12 })).weights).not.toEqual(runJob(c).weights);
    expect(runJob(cfg(method)).weights).not.toEqual(runJob(c).weights);
  });

  it('fine-tuning behind staircase(4) raises the clean accuracy behind g that the mapping took away', () => {
    // Dark images (the task's pixels x 0.3, around 0.15) and a tiny MLP fitted to them; staircase(4) binarizes them
    // at its riser 0.125 to {0, 0.25}: the class signal survives, but not where the MLP learnt it.
    const dark = (d: Dataset): Dataset => ({ ...d, x: Float32Array.from(d.x as Float32Array, (v) => 0.3 * v) });
    const [train, test] = [dark(dataset(0, 256)), dark(TEST)];
    const b = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 4 }], { inputShape: [8, 8, 1], seed: 4 });
    const init = loadLayersModel(b.json, b.shards);
    const mlp = fit(init, train, { epochs: 10, batchSize: 16, learningRate: 0.01, seed: 1 });
    init.dispose();
    const c = cfg('qat', { bits: 8, defense: STAIRCASE, maxBatches: 64, epochs: 4, schedule: 'constant', optimizer: { name: 'adam', learningRate: 0.01 } });
    const [plain, before] = [accuracyOn(mlp, test), accuracyBehind(mlp, test)];
    let s = initRetrain(mlp, c, train.shape[0]);
    while (!isDone(s)) s = retrainStep(s, mlp, train, c);
    const tuned = finish(s, mlp, c);
    const after = accuracyBehind(tuned, test);
    [tuned, mlp].forEach((m) => m.dispose());
    // Measured: 0.99 without g, 0.93 behind g, 0.98 behind g after 64 batches of QAT at 8 bits (256 test samples).
    expect(before).toBeLessThan(plain - 0.03);
    expect(after).toBeGreaterThan(before + 0.03);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    for (const method of ['qat', 'boundary', 'pgd-at'] as const) runJob(cfg(method, { defense: RANDOM, maxBatches: 2 }));
    runJob(cfg('boundary', { defense: { mapping: 'sine' }, maxBatches: 2 }));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the defense setting of retraining', () => {
  it('takes the audit schema with its defaults, refuses a bad mapping naming the field, and keeps old fingerprints', () => {
    expect(resolveRetrainConfig(cfg('qat', { defense: { mapping: 'sine' } })).defense).toEqual({ mapping: 'sine', freq: 8, amp: 0.05 });
    expect(resolveRetrainConfig(cfg('qat')).defense).toBe('none');
    let err: unknown;
    try {
      resolveRetrainConfig(cfg('qat', { defense: { mapping: 'staircase', levels: 1 } as never }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).pointer).toBe('settings.defense.levels');
    expect(() => resolveRetrainConfig(cfg('qat', { defense: { mapping: 'jpeg' } as never }))).toThrow(/defense/);
    // Settings without a defense fingerprint as before the field existed (their checkpoints still resume).
    expect(configFingerprint(resolveRetrainConfig(cfg('qat')))).not.toContain('defense');
    expect(configFingerprint(resolveRetrainConfig(cfg('qat', { defense: RANDOM })))).toContain('"defense":{"levels":4,"mapping":"random"}');
    // Resuming with another mapping is refused.
    const s = initRetrain(float, cfg('qat', { defense: RANDOM }), DATA.shape[0]);
    expect(() => retrainStep(s, float, DATA, cfg('qat', { defense: STAIRCASE }))).toThrow(/settings/);
  });
});
