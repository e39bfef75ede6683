// Makes the shipped example models: a small LeNet-style CNN trained on the built-in MNIST training split
// (examples/mnist-cnn, float32) and its 4-bit twin stored with a uint8 weights manifest (examples/mnist-cnn-w4).
// Usage: node scripts/run-ts.mjs scripts/make-example-model.ts [--epochs 4]
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../src/runtime/node';
import { loadBuiltinMnist } from '../src/data/mnist.node';
import { fitToModel, batch } from '../src/engine/data/dataset';
import { saveLayersModel } from '../src/engine/model';
import type { Model } from '../src/engine/model';
import { fit } from '../src/engine/train/fit';
import { conv, dense, flatten, heUniformModel, pool, type WeightSpec } from './_models';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '4' }, seed: { type: 'string', default: '1' } } });
const seed = Number(values.seed);

const layers = [conv('conv2d_1', 8, 3, 'valid', [null, 28, 28, 1]), pool('pool_1'), conv('conv2d_2', 16, 3, 'valid'), pool('pool_2'), flatten(), dense('dense_1', 64, 'relu'), dense('dense_2', 10, 'softmax')];
const weights: WeightSpec[] = [
  ['conv2d_1/kernel', [3, 3, 1, 8], 9], ['conv2d_1/bias', [8], 0],
  ['conv2d_2/kernel', [3, 3, 8, 16], 72], ['conv2d_2/bias', [16], 0],
  ['dense_1/kernel', [400, 64], 400], ['dense_1/bias', [64], 0],
  ['dense_2/kernel', [64, 10], 64], ['dense_2/bias', [10], 0],
];

const initialModel = (): Model => heUniformModel({ name: 'mnist_cnn', layers, weights, seed, rngKey: 'init', generatedBy: 'qaudit make-example-model' });

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
const trained = fit(init, trainSet, {
  epochs: Number(values.epochs), batchSize: 32, learningRate: 2e-3, seed,
  onEpoch: (e, loss) => console.log(`epoch ${e + 1}: mean loss ${loss.toFixed(4)}`),
});
const w4 = trained.quantize(4);
console.log(`test accuracy: float ${accuracy(trained, testSet).toFixed(4)}, 4-bit ${accuracy(w4, testSet).toFixed(4)}`);
await save(trained, 'examples/mnist-cnn', 'float32');
await save(w4, 'examples/mnist-cnn-w4', 'uint8');
console.log('wrote examples/mnist-cnn (float32) and examples/mnist-cnn-w4 (4-bit grid, uint8 manifest)');
