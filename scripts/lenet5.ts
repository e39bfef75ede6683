// The LeNet-5-style float model of the retraining benchmark (conv5x5x6 same, pool, conv5x5x16, pool, dense 120,
// dense 84, dense 10; 61.7k parameters), trained on the built-in MNIST training split and cached, so that reruns
// of the benchmark reuse the same weights. Training is deterministic given the seed (one wasm thread).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Dataset } from '../src/engine/data/types';
import { loadLayersModel, saveLayersModel, type Model } from '../src/engine/model';
import { conv, dense, flatten, heUniformModel, pool, type WeightSpec } from './_models';
import { fit } from '../src/engine/train/fit';

export interface LeNetOptions { epochs: number; learningRate: number; seed: number }
export const LENET5_DESCRIPTION = 'LeNet-5 style: conv 5x5x6 (same), max-pool, conv 5x5x16, max-pool, dense 120, dense 84, dense 10; 61.7k parameters';

const LAYERS = [conv('conv2d_1', 6, 5, 'same', [null, 28, 28, 1]), pool('pool_1'), conv('conv2d_2', 16, 5, 'valid'), pool('pool_2'), flatten(), dense('dense_1', 120, 'relu'), dense('dense_2', 84, 'relu'), dense('dense_3', 10, 'softmax')];
const WEIGHTS: WeightSpec[] = [
  ['conv2d_1/kernel', [5, 5, 1, 6], 25], ['conv2d_1/bias', [6], 0],
  ['conv2d_2/kernel', [5, 5, 6, 16], 150], ['conv2d_2/bias', [16], 0],
  ['dense_1/kernel', [400, 120], 400], ['dense_1/bias', [120], 0],
  ['dense_2/kernel', [120, 84], 120], ['dense_2/bias', [84], 0],
  ['dense_3/kernel', [84, 10], 84], ['dense_3/bias', [10], 0],
];

const initialModel = (seed: number): Model =>
  heUniformModel({ name: 'lenet5', layers: LAYERS, weights: WEIGHTS, seed, rngKey: 'lenet5-init', generatedBy: 'qaudit scripts/lenet5.ts' });

/** The cache folder of one training setting. */
export const lenet5Dir = (o: LeNetOptions) => `node_modules/.cache/qaudit/lenet5-e${o.epochs}-lr${o.learningRate}-s${o.seed}`;

async function load(dir: string): Promise<Model | undefined> {
  try {
    const json = JSON.parse(await readFile(`${dir}/model.json`, 'utf8'));
    return loadLayersModel(json, new Map([['weights.bin', new Uint8Array(await readFile(`${dir}/weights.bin`))]]));
  } catch {
    return undefined;
  }
}

/** The trained LeNet-5 of these settings: from the cache, or trained on `train` (Adam, batch 32) and cached. */
export async function lenet5(train: Dataset, o: LeNetOptions, log: (m: string) => void): Promise<{ model: Model; cached: boolean; dir: string }> {
  const dir = lenet5Dir(o);
  const hit = await load(dir);
  if (hit) return { model: hit, cached: true, dir };
  const init = initialModel(o.seed);
  const model = fit(init, train, {
    epochs: o.epochs, batchSize: 32, learningRate: o.learningRate, seed: o.seed,
    onEpoch: (e, loss) => log(`lenet5 epoch ${e + 1}: mean loss ${loss.toFixed(4)}`),
  });
  init.dispose();
  const { json, weights } = saveLayersModel(model, { weights: 'float32' });
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/model.json`, JSON.stringify(json, null, 1) + '\n');
  await writeFile(`${dir}/weights.bin`, weights);
  return { model, cached: false, dir };
}
