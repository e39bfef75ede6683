// model.json forms (Keras 2, converter, Keras 3, Functional), weight naming, manifest quantization, softmax removal, summary.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { loadLayersModel } from '../../../src/engine/model';
import type { Model } from '../../../src/engine/model';
import { buildLayersModel } from '../../helpers/models';
import type { BuildOptions, TinyLayer } from '../../helpers/models';
import { referenceForward } from './reference';
import { expectClose, inputs, logitsOf } from './common';

beforeAll(async () => initEngine(await loadWasm()));

const CNN: TinyLayer[] = [
  { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'relu' },
  { type: 'batchNorm' },
  { type: 'maxPool' },
  { type: 'flatten' },
  { type: 'dropout', rate: 0.25 },
  { type: 'dense', units: 4, activation: 'softmax' },
];
const INPUT = [6, 6, 1];

function load(layers: TinyLayer[], opts: Partial<BuildOptions> = {}) {
  const built = buildLayersModel(layers, { inputShape: INPUT, seed: 5, ...opts });
  return { built, model: loadLayersModel(JSON.stringify(built.json), built.shards) };
}

const values = (m: Model, key: string) => m.weights[key]!.dataSync() as Float32Array;

describe('model.json forms', () => {
  const x = inputs(2, INPUT);
  let base: ReturnType<typeof load>;
  let want: Float32Array;
  beforeAll(() => {
    base = load(CNN);
    want = logitsOf(base.model, x, 2);
  });

  for (const format of ['converter', 'keras3', 'functional', 'keras3-functional'] as const) {
    it(`${format} gives the same model as Keras 2 Sequential`, () => {
      const { model } = load(CNN, { format });
      // The input tensor's name differs between forms (InputLayer or none); everything else is the same.
      const strip = (m: Model) => m.summary.layers.map(({ inputs: _, ...rest }) => rest);
      expect(strip(model)).toEqual(strip(base.model));
      expect(Array.from(logitsOf(model, x, 2))).toEqual(Array.from(want));
      model.dispose();
    });
  }

  it('reads weights split over several shards', () => {
    const { model } = load(CNN, { shards: 3 });
    expect(Array.from(logitsOf(model, x, 2))).toEqual(Array.from(want));
    model.dispose();
  });

  it('matches shards by file name whatever directory the manifest or the upload gives', () => {
    const { built } = load(CNN);
    const json = structuredClone(built.json) as { weightsManifest: { paths: string[] }[] };
    json.weightsManifest[0]!.paths = ['some/dir/group1-shard1of1.bin'];
    const model = loadLayersModel(json, new Map([['upload/group1-shard1of1.bin', built.shards.get('group1-shard1of1.bin')!]]));
    expect(Array.from(logitsOf(model, x, 2))).toEqual(Array.from(want));
    model.dispose();
  });

  it('accepts weight names with a :0 suffix, a model prefix, or bare kinds in order', () => {
    const { built } = load(CNN);
    type J = { weightsManifest: { weights: { name: string }[] }[] };
    const forms = [(n: string) => `${n}:0`, (n: string) => `outer_model/${n}`, (n: string) => n.split('/')[1]!];
    for (const rename of forms) {
      const json = structuredClone(built.json) as J;
      for (const w of json.weightsManifest[0]!.weights) w.name = rename(w.name);
      const model = loadLayersModel(json, built.shards);
      expect(Array.from(logitsOf(model, x, 2))).toEqual(Array.from(want));
      model.dispose();
    }
  });
});

describe('weights-manifest quantization', () => {
  for (const quantization of ['uint8', 'uint16', 'float16'] as const) {
    it(`${quantization} weights decode exactly to min + scale * q (or the half value)`, () => {
      const float = load(CNN);
      const { built, model } = load(CNN, { quantization });
      for (const [key, v] of built.weights) {
        expect(Array.from(values(model, key)), key).toEqual(Array.from(v));
        const tol = quantization === 'uint16' ? 1e-4 : 1e-2;
        expectClose(v, float.built.weights.get(key)!, tol);
      }
      const info = model.summary.weights.find((w) => w.name === 'conv2d/kernel')!;
      expect(info.storedAs).toBe(quantization);
      expect(model.summary.weights.every((w) => w.storedAs === quantization)).toBe(true);
      model.dispose();
      float.model.dispose();
    });
  }
});

describe('final softmax removal', () => {
  const dense: TinyLayer = { type: 'dense', units: 3 };
  const cases: [string, TinyLayer[], boolean][] = [
    ['Dense(softmax)', [{ type: 'dense', units: 3, activation: 'softmax' }], true],
    ['Dense(softmax) then Dropout', [{ type: 'dense', units: 3, activation: 'softmax' }, { type: 'dropout' }], true],
    ["Activation('softmax')", [dense, { type: 'activation', activation: 'softmax' }], true],
    ['Softmax layer', [dense, { type: 'softmax' }], true],
    ['a linear output', [dense], false],
    ['a sigmoid output is kept', [{ type: 'dense', units: 3, activation: 'sigmoid' }], false],
  ];
  for (const [name, layers, removed] of cases) {
    it(`${name}: removedSoftmax = ${removed}, logits out`, () => {
      const built = buildLayersModel(layers, { inputShape: [4], seed: 2 });
      const model = loadLayersModel(built.json, built.shards);
      expect(model.summary.removedSoftmax).toBe(removed);
      const xi = inputs(1, [4]);
      const kept = layers.filter((l) => !(removed && l.type !== 'dense' && l.type !== 'dropout'));
      const noSoftmax = kept.map((l) => (l.type === 'dense' && l.activation === 'softmax' ? { ...l, activation: 'linear' } : l));
      const names = built.names.filter((_, i) => kept.includes(layers[i]!));
      expectClose(logitsOf(model, xi, 1), referenceForward(noSoftmax, names, built.weights, [4], xi));
      model.dispose();
    });
  }
});

describe('summary', () => {
  it('lists layers, output shapes, parameters and classes', () => {
    const { model } = load(CNN);
    const s = model.summary;
    expect(s.inputShape).toEqual([6, 6, 1]);
    expect(s.numClasses).toBe(4);
    expect(s.layers.map((l) => [l.className, l.outputShape, l.parameters])).toEqual([
      ['Conv2D', [null, 4, 4, 2], 3 * 3 * 2 + 2],
      ['BatchNormalization', [null, 4, 4, 2], 8],
      ['MaxPooling2D', [null, 2, 2, 2], 0],
      ['Flatten', [null, 8], 0],
      ['Dropout', [null, 8], 0],
      ['Dense', [null, 4], 8 * 4 + 4],
    ]);
    expect(s.parameters).toBe(20 + 8 + 36);
    expect(s.weights.map((w) => w.name)).toEqual([
      'conv2d/kernel', 'conv2d/bias', 'batch_normalization/gamma', 'batch_normalization/beta',
      'batch_normalization/moving_mean', 'batch_normalization/moving_variance', 'dense/kernel', 'dense/bias',
    ]);
    expect(s.bits).toBeNull(); // seeded float kernels are not on a grid
    model.dispose();
  });

  it('maps flat and 2-D inputs to images, or to a given shape', () => {
    const flat = buildLayersModel([{ type: 'dense', units: 2 }], { inputShape: [784] });
    const m1 = loadLayersModel(flat.json, flat.shards);
    expect(m1.inputShape).toEqual([28, 28, 1]);
    const m2 = loadLayersModel(flat.json, flat.shards, { inputShape: [1, 1, 784] });
    expect(m2.inputShape).toEqual([1, 1, 784]);
    const x = inputs(2, [784]);
    expect(Array.from(logitsOf(m1, x, 2))).toEqual(Array.from(logitsOf(m2, x, 2)));
    const twoD = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 2 }], { inputShape: [5, 3] });
    const m3 = loadLayersModel(twoD.json, twoD.shards);
    expect(m3.inputShape).toEqual([5, 3, 1]);
    const odd = buildLayersModel([{ type: 'dense', units: 2 }], { inputShape: [10] });
    const m4 = loadLayersModel(odd.json, odd.shards);
    expect(m4.inputShape).toEqual([1, 1, 10]);
    [m1, m2, m3, m4].forEach((m) => m.dispose());
  });

  it('withWeights builds the same layers with other weights, cloning them', () => {
    const { model } = load(CNN);
    const before = tf.memory().numTensors;
    const zeros = Object.fromEntries(Object.entries(model.weights).map(([k, t]) => [k, tf.zerosLike(t)]));
    const other = model.withWeights(zeros);
    tf.dispose(Object.values(zeros));
    expect(Array.from(logitsOf(other, inputs(1, INPUT), 1))).toEqual([0, 0, 0, 0]);
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
