// Makes the shipped example models: a small LeNet-style CNN trained on the built-in MNIST training split
// (examples/mnist-cnn, float32) and its 4-bit twin stored with a uint8 weights manifest (examples/mnist-cnn-w4).
// Usage: node scripts/run-ts.mjs scripts/make-example-model.ts [--epochs 4]
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../src/runtime/node';
import { loadBuiltinMnist } from '../src/data/mnist.node';
import { fitToModel, batch } from '../src/engine/data/dataset';
import { loadLayersModel, saveLayersModel } from '../src/engine/model';
import type { Model } from '../src/engine/model';
import type { LayersModel } from '../src/engine/model/model';
import { fit } from '../src/engine/train/fit';
import { Rng } from '../src/engine/rng';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '4' }, seed: { type: 'string', default: '1' } } });
const seed = Number(values.seed);

const conv = (name: string, filters: number, shape?: (number | null)[]) => ({
  class_name: 'Conv2D',
  config: { name, filters, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', use_bias: true, data_format: 'channels_last', ...(shape ? { batch_input_shape: shape } : {}) },
});
const pool = (name: string) => ({ class_name: 'MaxPooling2D', config: { name, pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last' } });
const dense = (name: string, units: number, activation: string) => ({ class_name: 'Dense', config: { name, units, activation, use_bias: true } });
const layers = [conv('conv2d_1', 8, [null, 28, 28, 1]), pool('pool_1'), conv('conv2d_2', 16), pool('pool_2'), { class_name: 'Flatten', config: { name: 'flatten' } }, dense('dense_1', 64, 'relu'), dense('dense_2', 10, 'softmax')];
const weights: [string, number[], number][] = [
  ['conv2d_1/kernel', [3, 3, 1, 8], 9], ['conv2d_1/bias', [8], 0],
  ['conv2d_2/kernel', [3, 3, 8, 16], 72], ['conv2d_2/bias', [16], 0],
  ['dense_1/kernel', [400, 64], 400], ['dense_1/bias', [64], 0],
  ['dense_2/kernel', [64, 10], 64], ['dense_2/bias', [10], 0],
];

/** He-uniform initial weights from the seed, biases zero, as a float32 tfjs Layers model. */
function initialModel(): Model {
  const rng = new Rng(seed, 'init');
  const parts = weights.map(([, shape, fanIn]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const limit = fanIn ? Math.sqrt(6 / fanIn) : 0;
    return Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * limit);
  });
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let off = 0;
  for (const p of parts) (bytes.set(new Uint8Array(p.buffer), off), (off += p.byteLength));
  const json = {
    format: 'layers-model', generatedBy: 'qaudit make-example-model', convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: 'mnist_cnn', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: ['weights.bin'], weights: weights.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
  };
  return loadLayersModel(json, new Map([['weights.bin', bytes]]));
}

function accuracy(model: Model, data: ReturnType<typeof fitToModel>): number {
  let correct = 0;
  for (let s = 0; s < data.shape[0]; s += 256) {
    const { x, y } = batch(data, s, Math.min(s + 256, data.shape[0]));
    correct += tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(model.logits(x), 1), y), 'int32')).dataSync()[0]!);
    tf.dispose([x, y]);
  }
  return correct / data.shape[0];
}

async function save(model: Model, dir: string, encoding: 'float32' | 'uint8') {
  const { json, weights: bin } = saveLayersModel(model, { weights: encoding });
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/model.json`, JSON.stringify(json, null, 1) + '\n');
  await writeFile(`${dir}/weights.bin`, bin);
}

await startNodeEngine();
const { train, test } = loadBuiltinMnist();
const init = initialModel();
const trainSet = fitToModel(train, init.inputShape, init.numClasses);
const testSet = fitToModel(test, init.inputShape, init.numClasses);
const trained = fit(init as LayersModel, trainSet, {
  epochs: Number(values.epochs), batchSize: 32, learningRate: 2e-3, seed,
  onEpoch: (e, loss) => console.log(`epoch ${e + 1}: mean loss ${loss.toFixed(4)}`),
});
const w4 = trained.quantize(4);
console.log(`test accuracy: float ${accuracy(trained, testSet).toFixed(4)}, 4-bit ${accuracy(w4, testSet).toFixed(4)}`);
await save(trained, 'examples/mnist-cnn', 'float32');
await save(w4, 'examples/mnist-cnn-w4', 'uint8');
console.log('wrote examples/mnist-cnn (float32) and examples/mnist-cnn-w4 (4-bit grid, uint8 manifest)');
