// Functional DAGs and the layers of real models against the official tfjs-layers implementation: models are
// built and saved by tfjs-layers (random weights), loaded by the engine, and their logits compared.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { loadLayersModel, saveLayersModel } from '../../../src/engine/model';
import { inputs, logitsOf } from './common';

beforeAll(async () => initEngine(await loadWasm()));

type Build = (x: tfl.SymbolicTensor) => tfl.SymbolicTensor;

/** model.json + shard as tfjs-layers' model.save() writes them. */
async function saved(model: tfl.LayersModel): Promise<{ json: Record<string, unknown>; shards: Map<string, Uint8Array> }> {
  let art!: tf.io.ModelArtifacts;
  await model.save(tf.io.withSaveHandler(async (a) => ((art = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const json = { format: 'layers-model', modelTopology: art.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }] };
  return { json, shards: new Map([['w.bin', new Uint8Array(art.weightData as ArrayBuffer)]]) };
}

/** Random weights, scaled so that activations stay in a range where every branch of the ops is exercised. */
function randomize(model: tfl.LayersModel, seed: number): void {
  let s = seed;
  for (const w of model.weights) {
    const v = w.read();
    const shape = v.shape;
    const isVar = /moving_variance|variance$/.test(w.originalName);
    const t = tf.tidy(() => (isVar ? tf.randomUniform(shape, 0.5, 1.5, 'float32', s++) : tf.randomUniform(shape, -0.6, 0.6, 'float32', s++)));
    w.write(t);
  }
}

const CASES: { name: string; input: number[]; build: Build }[] = [
  {
    name: 'residual block: branch and Add, BatchNorm, ReLU, GlobalAveragePooling2D',
    input: [8, 8, 3],
    build: (x) => {
      const a = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tfl.SymbolicTensor;
      const b = tfl.layers.batchNormalization().apply(a) as tfl.SymbolicTensor;
      const r = tfl.layers.reLU().apply(b) as tfl.SymbolicTensor;
      const p = tfl.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(x) as tfl.SymbolicTensor;
      const s = tfl.layers.add().apply([r, p]) as tfl.SymbolicTensor;
      return tfl.layers.globalAveragePooling2d({}).apply(s) as tfl.SymbolicTensor;
    },
  },
  {
    name: 'inverted residual: ZeroPadding2D, DepthwiseConv2D stride 2 with multiplier 2, ReLU6, projection',
    input: [9, 9, 2],
    build: (x) => {
      const e = tfl.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
      const z = tfl.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(e) as tfl.SymbolicTensor;
      const d = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, padding: 'valid' }).apply(z) as tfl.SymbolicTensor;
      const r6 = tfl.layers.reLU({ maxValue: 6 }).apply(d) as tfl.SymbolicTensor;
      const pr = tfl.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(r6) as tfl.SymbolicTensor;
      const d2 = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(pr) as tfl.SymbolicTensor;
      const s = tfl.layers.add().apply([pr, d2]) as tfl.SymbolicTensor;
      return tfl.layers.flatten().apply(s) as tfl.SymbolicTensor;
    },
  },
  {
    name: 'merges: Multiply, Average, Maximum, Minimum, Concatenate; Cropping2D, UpSampling2D, Permute',
    input: [6, 6, 2],
    build: (x) => {
      const a = tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
      const b = tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'tanh' }).apply(x) as tfl.SymbolicTensor;
      const m = tfl.layers.multiply().apply([a, b]) as tfl.SymbolicTensor;
      const av = tfl.layers.average().apply([a, b, m]) as tfl.SymbolicTensor;
      const mx = tfl.layers.maximum().apply([a, b]) as tfl.SymbolicTensor;
      const mn = tfl.layers.minimum().apply([a, m]) as tfl.SymbolicTensor;
      const c = tfl.layers.concatenate({ axis: -1 }).apply([av, mx, mn]) as tfl.SymbolicTensor;
      const cr = tfl.layers.cropping2D({ cropping: [[1, 0], [0, 2]] }).apply(c) as tfl.SymbolicTensor;
      const up = tfl.layers.upSampling2d({ size: [2, 1] }).apply(cr) as tfl.SymbolicTensor;
      const pm = tfl.layers.permute({ dims: [2, 1, 3] }).apply(up) as tfl.SymbolicTensor;
      return tfl.layers.globalMaxPooling2d({}).apply(pm) as tfl.SymbolicTensor;
    },
  },
  {
    name: 'SeparableConv2D, dilated Conv2D, LeakyReLU, PReLU, ELU, hard_sigmoid, LayerNormalization, Rescaling',
    input: [10, 10, 3],
    build: (x) => {
      const r = tfl.layers.rescaling({ scale: 2, offset: -1 }).apply(x) as tfl.SymbolicTensor;
      // tfjs-layers 4.22 does not write SeparableConv2D's depth_multiplier into its config: multiplier 1 here.
      const s = tfl.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'hardSigmoid' }).apply(r) as tfl.SymbolicTensor;
      const d = tfl.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2 }).apply(s) as tfl.SymbolicTensor;
      const l = tfl.layers.leakyReLU({ alpha: 0.1 }).apply(d) as tfl.SymbolicTensor;
      const p = tfl.layers.prelu({ sharedAxes: [1, 2] }).apply(l) as tfl.SymbolicTensor;
      const e = tfl.layers.elu({}).apply(p) as tfl.SymbolicTensor;
      const n = tfl.layers.layerNormalization({ axis: -1 }).apply(e) as tfl.SymbolicTensor;
      return tfl.layers.globalAveragePooling2d({}).apply(n) as tfl.SymbolicTensor;
    },
  },
  {
    name: 'Dense on rank 3 (per position), then Flatten',
    input: [4, 4, 3],
    build: (x) => {
      const d = tfl.layers.dense({ units: 5, activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
      return tfl.layers.flatten().apply(d) as tfl.SymbolicTensor;
    },
  },
];

describe('Functional models against tfjs-layers', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const input = tfl.input({ shape: c.input });
      const head = tfl.layers.dense({ units: 4 }).apply(c.build(input)) as tfl.SymbolicTensor;
      const ref = tfl.model({ inputs: input, outputs: head });
      randomize(ref, 3);
      const { json, shards } = await saved(ref);
      const model = loadLayersModel(json, shards);
      const n = 3;
      const x = inputs(n, c.input, 5, 0, 1);
      const want = tf.tidy(() => (ref.predict(tf.tensor(x, [n, ...c.input])) as tf.Tensor).dataSync().slice());
      const got = logitsOf(model, x, n);
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `logit ${i}`).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
      // Saved by the engine (Keras 2 Functional) and loaded again: the same logits, bit for bit.
      const back = saveLayersModel(model, { weights: 'float32' });
      const again = loadLayersModel(back.json, new Map([['weights.bin', back.weights]]));
      expect(Array.from(logitsOf(again, x, n))).toEqual(Array.from(got));
      [model, again].forEach((m) => m.dispose());
      ref.dispose();
    });
  }

  it('a softmax ending the graph is removed wherever it sits, and nowhere else', async () => {
    const input = tfl.input({ shape: [4, 4, 1] });
    const f = tfl.layers.flatten().apply(input) as tfl.SymbolicTensor;
    const d = tfl.layers.dense({ units: 3 }).apply(f) as tfl.SymbolicTensor;
    const sm = tfl.layers.softmax().apply(d) as tfl.SymbolicTensor;
    const out = tfl.layers.reshape({ targetShape: [3] }).apply(sm) as tfl.SymbolicTensor;
    const ref = tfl.model({ inputs: input, outputs: out });
    randomize(ref, 9);
    const { json, shards } = await saved(ref);
    const model = loadLayersModel(json, shards);
    expect(model.summary.removedSoftmax).toBe(true);
    const x = inputs(2, [4, 4, 1], 1, 0, 1);
    const logits = logitsOf(model, x, 2);
    const probs = tf.tidy(() => (ref.predict(tf.tensor(x, [2, 4, 4, 1])) as tf.Tensor).dataSync().slice());
    const soft = tf.tidy(() => tf.softmax(tf.tensor2d(logits, [2, 3])).dataSync().slice());
    for (let i = 0; i < probs.length; i++) expect(soft[i]).toBeCloseTo(probs[i]!, 5);
    model.dispose();
    ref.dispose();
  });

  it('frees every intermediate tensor of a forward pass and of a gradient', async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const head = tfl.layers.dense({ units: 4 }).apply(CASES[0]!.build(input)) as tfl.SymbolicTensor;
    const ref = tfl.model({ inputs: input, outputs: head });
    const { json, shards } = await saved(ref);
    const model = loadLayersModel(json, shards);
    const x = tf.randomUniform([2, 8, 8, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    tf.dispose(model.logits(x));
    tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(model.logits(v as tf.Tensor4D)))(x));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    model.dispose();
    ref.dispose();
  });
});
