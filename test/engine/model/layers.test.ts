// Every supported layer against a plain-JS reference computed independently of tfjs.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { loadLayersModel } from '../../../src/engine/model';
import { buildLayersModel } from '../../helpers/models';
import type { TinyLayer } from '../../helpers/models';
import { referenceForward } from './reference';
import { expectClose, inputs, logitsOf } from './common';

beforeAll(async () => initEngine(await loadWasm()));

const dense3: TinyLayer = { type: 'dense', units: 3 };
const CASES: { name: string; input: number[]; layers: TinyLayer[]; range?: [number, number] }[] = [
  { name: 'Dense', input: [5], layers: [dense3] },
  { name: 'Dense without bias, relu', input: [5], layers: [{ type: 'dense', units: 4, activation: 'relu', useBias: false }, dense3] },
  { name: 'Conv2D valid, stride 1', input: [5, 5, 2], layers: [{ type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'flatten' }, dense3] },
  { name: 'Conv2D same, stride 2, odd size', input: [5, 5, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }, { type: 'flatten' }, dense3] },
  { name: 'Conv2D same, stride 2, even size, 2x3 kernel', input: [6, 4, 2], layers: [{ type: 'conv2d', filters: 2, kernelSize: [2, 3], strides: [2, 1], padding: 'same' }, { type: 'flatten' }, dense3] },
  { name: 'Conv2D valid, stride 2', input: [7, 6, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, useBias: false }, { type: 'flatten' }, dense3] },
  { name: 'MaxPooling2D valid', input: [6, 6, 2], layers: [{ type: 'maxPool' }, { type: 'flatten' }, dense3] },
  { name: 'MaxPooling2D same 3x3 stride 2', input: [5, 5, 2], layers: [{ type: 'maxPool', poolSize: 3, strides: 2, padding: 'same' }, { type: 'flatten' }, dense3] },
  { name: 'AveragePooling2D valid', input: [6, 6, 1], layers: [{ type: 'avgPool' }, { type: 'flatten' }, dense3] },
  { name: 'AveragePooling2D same (padding not counted)', input: [5, 5, 2], layers: [{ type: 'avgPool', poolSize: 3, strides: 2, padding: 'same' }, { type: 'flatten' }, dense3] },
  { name: 'Reshape to an image', input: [16], layers: [{ type: 'reshape', targetShape: [4, 4, 1] }, { type: 'conv2d', filters: 2, kernelSize: 2 }, { type: 'flatten' }, dense3] },
  { name: 'Dropout is identity', input: [4], layers: [{ type: 'dropout', rate: 0.9 }, dense3] },
  { name: 'ReLU layer and ReLU(max_value=6)', input: [6], layers: [{ type: 'relu' }, { type: 'dense', units: 4 }, { type: 'relu', maxValue: 6 }, dense3], range: [-9, 9] },
  { name: 'BatchNormalization after Conv2D', input: [4, 4, 2], layers: [{ type: 'conv2d', filters: 3, kernelSize: 2 }, { type: 'batchNorm' }, { type: 'flatten' }, dense3] },
  { name: 'BatchNormalization without center/scale after Dense', input: [5], layers: [{ type: 'dense', units: 4 }, { type: 'batchNorm', center: false, scale: false, epsilon: 0.01 }, dense3] },
  { name: 'a mid-model softmax stays', input: [5], layers: [{ type: 'dense', units: 4 }, { type: 'softmax' }, dense3] },
];

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'swish', 'silu'];

function check(layers: TinyLayer[], input: number[], range: [number, number] = [-1, 1]) {
  const built = buildLayersModel(layers, { inputShape: input, seed: 3 });
  const model = loadLayersModel(built.json, built.shards);
  const n = 3;
  const x = inputs(n, input, 11, ...range);
  const before = tf.memory().numTensors;
  const got = logitsOf(model, x, n);
  expect(tf.memory().numTensors).toBe(before);
  const d = input.reduce((a, b) => a * b, 1);
  const want = Array.from({ length: n }, (_, i) => referenceForward(layers, built.names, built.weights, input, x.subarray(i * d, (i + 1) * d))).flat();
  expectClose(got, want);
  model.dispose();
}

describe('layers against a plain-JS reference', () => {
  for (const c of CASES) it(c.name, () => check(c.layers, c.input, c.range));

  for (const a of ACTIVATIONS) {
    it(`Activation('${a}') on inputs in [-8, 8]`, () => check([{ type: 'activation', activation: a }, dense3], [6], [-8, 8]));
    it(`Dense(activation='${a}')`, () => check([{ type: 'dense', units: 4, activation: a }, dense3], [5], [-3, 3]));
  }

  it('a model disposes all its tensors', () => {
    const before = tf.memory().numTensors;
    const built = buildLayersModel(CASES[13]!.layers, { inputShape: CASES[13]!.input });
    const model = loadLayersModel(built.json, built.shards);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
