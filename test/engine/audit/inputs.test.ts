// Inputs as users have them: preprocessing that keeps epsilon in pixel units, labels from the model, and a
// micro-batch that the memory plan picks and that never changes a result.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { EngineError } from '../../../src/engine/errors';
import { loadLayersModel, type Model } from '../../../src/engine/model';
import { labelByModel, planMemory, toPreprocess, type AuditSettingsInput, type ChunkResult } from '../../../src/engine/audit';
import type { Dataset } from '../../../src/engine/data/types';
import { Rng } from '../../../src/engine/rng';
import { runAll } from './helpers';

beforeAll(async () => initEngine(await loadWasm()));

const SHAPE = [8, 8, 3] as const;

/** A small residual CNN with BatchNorm, a depthwise conv and ReLU6, random weights, saved and loaded as a user's file. */
async function residualCnn(): Promise<{ json: Record<string, unknown>; shards: Map<string, Uint8Array> }> {
  const x = tfl.input({ shape: [...SHAPE] });
  const a = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tfl.SymbolicTensor;
  const b = tfl.layers.batchNormalization().apply(a) as tfl.SymbolicTensor;
  const r = tfl.layers.reLU({ maxValue: 6 }).apply(b) as tfl.SymbolicTensor;
  const d = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(r) as tfl.SymbolicTensor;
  const s = tfl.layers.add().apply([r, d]) as tfl.SymbolicTensor;
  const g = tfl.layers.globalAveragePooling2d({}).apply(s) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(g) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: x, outputs: out });
  let seed = 1;
  for (const w of model.weights) w.write(tf.randomUniform(w.shape as number[], /variance/.test(w.originalName) ? 0.5 : -0.8, /variance/.test(w.originalName) ? 1.5 : 0.8, 'float32', seed++));
  let art!: tf.io.ModelArtifacts;
  await model.save(tf.io.withSaveHandler(async (m) => ((art = m), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  model.dispose();
  return { json: { modelTopology: art.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }] }, shards: new Map([['w.bin', new Uint8Array(art.weightData as ArrayBuffer)]]) };
}

function images(n: number, seed = 3): Dataset {
  const r = new Rng(seed, 'pixels');
  return { name: 'random', x: Uint8Array.from({ length: n * 8 * 8 * 3 }, () => r.int(256)), y: new Int32Array(n), shape: [n, 8, 8, 3] };
}

const logits = (m: Model, x: tf.Tensor4D) => tf.tidy(() => Array.from(m.logits(x).dataSync()));

describe('inputs as users have them', () => {
  let file: Awaited<ReturnType<typeof residualCnn>>;
  beforeAll(async () => {
    file = await residualCnn();
  });

  it('preprocessing maps pixels before the first layer: the same logits as feeding the mapped pixels', () => {
    const plain = loadLayersModel(file.json, file.shards);
    const x = tf.randomUniform([2, ...SHAPE], 0, 1, 'float32', 4) as tf.Tensor4D;
    const cases: [unknown, (t: tf.Tensor) => tf.Tensor][] = [
      [{ scale: [2], offset: [-1] }, (t) => tf.sub(tf.mul(t, 2), 1)],
      ['model', (t) => tf.mul(t, 255)],
      [{ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, (t) => tf.div(tf.sub(t, [0.485, 0.456, 0.406]), [0.229, 0.224, 0.225])],
    ];
    for (const [setting, map] of cases) {
      const m = loadLayersModel(file.json, file.shards, { preprocess: toPreprocess(setting as never) });
      const mapped = tf.tidy(() => map(x)) as tf.Tensor4D;
      const want = logits(plain, mapped);
      logits(m, x).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
      expect(m.summary.preprocess).toEqual(toPreprocess(setting as never));
      tf.dispose(mapped);
      m.dispose();
    }
    tf.dispose(x);
    plain.dispose();
  });

  it('labels from the model are its clean argmax, whatever the micro-batch', () => {
    const m = loadLayersModel(file.json, file.shards);
    const data = images(7);
    const want = tf.tidy(() => Array.from(tf.argMax(m.logits(tf.div(tf.tensor4d(data.x, data.shape, 'float32'), 255) as tf.Tensor4D), 1).dataSync()));
    for (const mb of [1, 2, 16]) expect(Array.from(labelByModel(m, data, mb))).toEqual(want);
    m.dispose();
  });

  it('every micro-batch size gives the same chunk results, bit for bit', { timeout: 120_000 }, async () => {
    const m = loadLayersModel(file.json, file.shards);
    const data = images(40);
    data.y = labelByModel(m, data, 4);
    // One chunk of 40 samples: batches of 40, 32 + 8, 16 + 16 + 8, and ten of 4. Every attack kind (gradient, margin
    // losses, DIVA, score- and decision-based queries, transfer; the model has 3 classes, too few for APGD-T), then a
    // random mapping with EOT.
    const attacks = ['fgsm', 'pgd', 'apgd', 'apgd-dlr', 'cw', 'square', 'diva', 'hsj', 'transfer'] as const;
    for (const extra of [{ attacks: [...attacks] }, { attacks: ['pgd'], defense: { mapping: 'random' }, eot: 10 }]) {
      let first: ChunkResult[] | undefined;
      for (const microBatch of [64, 32, 16, 4]) {
        const { results, ctx } = await runAll(m, data, { steps: 3, stepSize: 0.02, queries: 20, bits: [4], limit: 40, chunkSize: 64, microBatch, sanity: false, ...extra } as AuditSettingsInput);
        ctx.dispose();
        if (first) expect(results, `${JSON.stringify(extra)} at ${microBatch}`).toEqual(first);
        else first = results;
      }
    }
    m.dispose();
  });

  it('plans the largest micro-batch that fits the budget, and refuses a model of which one sample cannot fit', () => {
    const summary = { parameters: 1_000_000, activationBytes: 10 * 2 ** 20 };
    expect(planMemory(summary, 2, 512 * 2 ** 20).microBatch).toBe(16);
    expect(planMemory(summary, 2, 128 * 2 ** 20).microBatch).toBe(4);
    // A small model: the largest size, but never more than the chunk holds.
    const small = { parameters: 100_000, activationBytes: 100_000 };
    expect(planMemory(small, 2).microBatch).toBe(64);
    expect(planMemory(small, 2, 128 * 2 ** 20, 32).microBatch).toBe(32);
    expect(planMemory(small, 2, 128 * 2 ** 20, 48).microBatch).toBe(32);
    const big = { parameters: 3_000_000, activationBytes: 170 * 2 ** 20 };
    let err: unknown;
    try {
      planMemory(big, 2, 128 * 2 ** 20);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('limit_exceeded');
    expect((err as EngineError).message).toMatch(/128 MB/);
  });

  it('the summary states parameters, multiply-adds and activation memory per sample', () => {
    const m = loadLayersModel(file.json, file.shards);
    const s = m.summary;
    // conv 3x3x3x4 at 8x8: 6912; depthwise 3x3x4 at 8x8: 2304; dense 4x3: 12.
    expect(s.macs).toBe(8 * 8 * 4 * 27 + 8 * 8 * 4 * 9 + 12);
    expect(s.parameters).toBe(108 + 16 + 36 + 4 + 15);
    expect(s.activationBytes).toBeGreaterThan(8 * 8 * 4 * 4 * 5);
    m.dispose();
  });
});
