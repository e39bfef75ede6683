// Resumable retraining: every method trains, a job serialized between steps ends bit-identical, nothing leaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { EngineError } from '../../../src/engine/errors';
import { saveLayersModel, type Model } from '../../../src/engine/model';
import {
  deserializeState, finish, initRetrain, isDone, retrainStep, serializeState,
  type RetrainConfigInput, type RetrainMethod, type RetrainState,
} from '../../../src/engine/train';
import { lrScale, warmupScale } from '../../../src/engine/train/retrain';
import { dataset, floatModel } from './fixture';

const DATA = dataset(0, 64);
let float: Model;
beforeAll(async () => {
  await initEngine(await loadWasm());
  float = floatModel(dataset(0, 128));
});
afterAll(() => float.dispose());

/** Small budgets so that each job is a few hundred milliseconds; 5-step PGD for the adversarial methods. */
const cfg = (method: RetrainMethod, extra: Partial<RetrainConfigInput> = {}): RetrainConfigInput => ({
  method, bits: 2, seed: 11, batchSize: 16, batchesPerStep: 2, maxBatches: 6, epochs: 2,
  adversarial: { steps: 5, stepSize: 0.08 }, boundary: { steps: 4, stepSize: 0.05, eps: 0.2 }, ...extra,
});

function runJob(config: RetrainConfigInput, roundTrip: boolean): RetrainState {
  let s = initRetrain(float, config, DATA.shape[0]);
  while (!isDone(s)) {
    s = retrainStep(s, float, DATA, config);
    if (roundTrip) s = deserializeState(serializeState(s));
  }
  return s;
}

const weightsOf = (m: Model) => Object.fromEntries(Object.entries(m.weights).map(([k, t]) => [k, Array.from(t.dataSync())]));

describe('retraining methods', () => {
  it.each(['qat', 'boundary', 'pgd-at', 'at-then-quantize'] as const)('%s lowers its loss on a fixed full batch', (method) => {
    // One batch = the whole set: each step's loss is measured on the same samples before its update.
    const config = cfg(method, { batchSize: 64, batchesPerStep: 1, maxBatches: 8, epochs: 8, schedule: 'constant', optimizer: { name: 'adam', learningRate: 0.01 } });
    const s = runJob(config, false);
    const losses = s.metrics.map((m) => m.loss);
    expect(losses).toHaveLength(8);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    if (method === 'boundary') expect(s.metrics[0]!.boundary! + s.metrics[0]!.distill!).toBeGreaterThan(0);
  });

  it('none is plain quantization: no batches, and finish equals Model.quantize', () => {
    const s = initRetrain(float, cfg('none'), DATA.shape[0]);
    expect(isDone(s)).toBe(true);
    const [q, want] = [finish(s, float, cfg('none')), float.quantize(2)];
    expect(weightsOf(q)).toEqual(weightsOf(want));
    [q, want].forEach((m) => m.dispose());
  });

  it('finish gives a k-bit model that saves with a uint8 manifest', () => {
    const s = runJob(cfg('qat', { bits: 3 }), false);
    const q = finish(s, float, cfg('qat', { bits: 3 }));
    expect(q.summary.bits).toBe(3);
    const { json } = saveLayersModel(q, { weights: 'uint8' });
    const manifest = (json as { weightsManifest: { weights: { name: string; quantization?: { dtype: string } }[] }[] }).weightsManifest[0]!.weights;
    for (const w of manifest.filter((e) => e.name.endsWith('/kernel'))) expect(w.quantization?.dtype).toBe('uint8');
    q.dispose();
  });
});

describe('resumable steps', () => {
  it.each(['boundary', 'pgd-at', 'qat'] as const)('%s: serializing between every step gives bit-identical final state', (method) => {
    const straight = serializeState(runJob(cfg(method, { optimizer: { name: method === 'qat' ? 'sgd' : 'adam' } }), false));
    const resumed = serializeState(runJob(cfg(method, { optimizer: { name: method === 'qat' ? 'sgd' : 'adam' } }), true));
    expect(resumed).toEqual(straight);
  });

  it('re-encodes a decoded state to the same bytes, and refuses other bytes', () => {
    const s = runJob(cfg('qat', { maxBatches: 2 }), false);
    const bytes = serializeState(s);
    expect(serializeState(deserializeState(bytes))).toEqual(bytes);
    expect(() => deserializeState(bytes.subarray(0, bytes.length - 4))).toThrow(EngineError);
    expect(() => deserializeState(new Uint8Array(16))).toThrow(EngineError);
  });

  it('steps the planned number of batches over epochs and keeps the cursor', () => {
    const s = runJob(cfg('qat', { maxBatches: undefined, epochs: 2, batchesPerStep: 3 }), false);
    expect(s.batches).toBe(8); // 2 epochs x 4 batches of 16
    expect(s.steps).toBe(3); // 3 + 3 + 2
    expect(s.cursor).toEqual({ epoch: 2, offset: 0, orderSeed: 11 });
    expect(s.metrics.map((m) => m.samples)).toEqual([48, 48, 32]);
  });

  it('refuses to resume with other settings, other data or a finished job', () => {
    const s = initRetrain(float, cfg('qat'), DATA.shape[0]);
    expect(() => retrainStep(s, float, DATA, cfg('qat', { bits: 4 }))).toThrow(/settings/);
    expect(() => retrainStep(s, float, dataset(0, 32), cfg('qat'))).toThrow(/64 samples/);
    const done = runJob(cfg('qat', { maxBatches: 1 }), false);
    expect(() => retrainStep(done, float, DATA, cfg('qat', { maxBatches: 1 }))).toThrow(EngineError);
    expect(() => initRetrain(float, { ...cfg('qat'), method: 'magic' }, 64)).toThrow(/method/);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    for (const method of ['boundary', 'pgd-at', 'at-then-quantize'] as const) {
      const s = runJob(cfg(method, { maxBatches: 2 }), false);
      finish(s, float, cfg(method, { maxBatches: 2 })).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('schedules', () => {
  it('cosine learning rate falls from 1 to near 0; warm-up ramps eps linearly to 1', () => {
    expect(lrScale('cosine', 0, 100)).toBe(1);
    expect(lrScale('cosine', 50, 100)).toBeCloseTo(0.5, 12);
    expect(lrScale('cosine', 99, 100)).toBeLessThan(0.001);
    expect(lrScale('constant', 99, 100)).toBe(1);
    expect([0, 1, 9, 10, 50].map((t) => warmupScale(0.1, t, 100))).toEqual([0.1, 0.2, 1, 1, 1]);
    expect(warmupScale(0, 0, 100)).toBe(1);
  });
});
