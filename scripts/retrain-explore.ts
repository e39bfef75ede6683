// Quick 2-bit retraining trials (clean accuracy on a small test prefix) to choose the benchmark's settings.
// Usage: node scripts/run-ts.mjs scripts/retrain-explore.ts --model cnn|lenet5 --trials 'boundary:pc:400:3e-3,...'
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../src/runtime/node';
import { loadBuiltinMnist } from '../src/data/mnist.node';
import { fitToModel, batch, take } from '../src/engine/data/dataset';
import type { Dataset } from '../src/engine/data/types';
import { loadLayersModel, type Model } from '../src/engine/model';
import { finish, initRetrain, isDone, retrainStep, type RetrainMethod } from '../src/engine/train';
import { lenet5 } from './lenet5';

const { values: a } = parseArgs({ options: {
  model: { type: 'string', default: 'cnn' }, samples: { type: 'string', default: '500' }, trials: { type: 'string', default: '' },
  'fit-epochs': { type: 'string', default: '8' }, 'fit-lr': { type: 'string', default: '1e-3' }, bits: { type: 'string', default: '2' },
} });
const t0 = Date.now();
const log = (m: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${m}`);

function accuracy(model: Model, data: Dataset): number {
  let correct = 0;
  for (let s = 0; s < data.shape[0]; s += 250) {
    const { x, y } = batch(data, s, Math.min(s + 250, data.shape[0]));
    correct += tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(model.logits(x), 1), y), 'int32')).dataSync()[0]!);
    tf.dispose([x, y]);
  }
  return correct / data.shape[0];
}

await startNodeEngine();
const { train: trainRaw, test: testRaw } = loadBuiltinMnist();
let float: Model;
if (a.model === 'cnn') {
  const json = JSON.parse(await readFile('examples/mnist-cnn/model.json', 'utf8'));
  float = loadLayersModel(json, new Map([['weights.bin', new Uint8Array(await readFile('examples/mnist-cnn/weights.bin'))]]));
} else {
  const tr = fitToModel(trainRaw, [28, 28, 1], 10);
  float = (await lenet5(tr, { epochs: Number(a['fit-epochs']), learningRate: Number(a['fit-lr']), seed: 1 }, log)).model;
}
const trainSet = fitToModel(trainRaw, float.inputShape, float.numClasses);
const testSet = fitToModel(take(testRaw, Number(a.samples)), float.inputShape, float.numClasses);
const fullTest = fitToModel(testRaw, float.inputShape, float.numClasses);
const bits = Number(a.bits);
log(`float ${a.model}: test prefix ${accuracy(float, testSet).toFixed(3)}, full test (${fullTest.shape[0]}) ${accuracy(float, fullTest).toFixed(4)}`);
for (const pc of [false, true]) {
  const q = float.quantize(bits, { perChannel: pc });
  log(`plain w${bits} perChannel=${pc}: ${accuracy(q, testSet).toFixed(3)}`);
  q.dispose();
}
for (const trial of a.trials!.split(',').filter(Boolean)) {
  const [method, pc, nb, lr, sched] = trial.split(':');
  const config = { method: method as RetrainMethod, bits, perChannel: pc === 'pc', seed: 1, epochs: 100, maxBatches: Number(nb), batchSize: 32, batchesPerStep: 8,
    optimizer: { name: 'adam' as const, learningRate: Number(lr) }, schedule: (sched ?? 'cosine') as 'cosine' | 'constant', adversarial: { eps: 0.3, steps: 10, stepSize: 0.03, warmup: 0.5 } };
  const start = Date.now();
  let state = initRetrain(float, config, trainSet.shape[0]);
  while (!isDone(state)) state = retrainStep(state, float, trainSet, config);
  const q = finish(state, float, config);
  log(`${trial}: clean ${accuracy(q, testSet).toFixed(3)} (${((Date.now() - start) / 1000).toFixed(0)} s, loss ${state.metrics.at(-1)?.loss.toFixed(3)})`);
  q.dispose();
}
