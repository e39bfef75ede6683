// The LeNet-5-style float model of the retraining benchmark (conv5x5x6 same, pool, conv5x5x16, pool, dense 120,
// dense 84, dense 10; 61.7k parameters), trained on the built-in MNIST training split and cached, so that reruns
// of the benchmark reuse the same weights. Training is deterministic given the seed (one wasm thread).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Dataset } from '../src/engine/data/types';
import { loadLayersModel, saveLayersModel, type Model } from '../src/engine/model';
import type { LayersModel } from '../src/engine/model/model';
import { Rng } from '../src/engine/rng';
import { fit } from '../src/engine/train/fit';

export interface LeNetOptions { epochs: number; learningRate: number; seed: number }
export const LENET5_DESCRIPTION = 'LeNet-5 style: conv 5x5x6 (same), max-pool, conv 5x5x16, max-pool, dense 120, dense 84, dense 10; 61.7k parameters';

const conv = (name: string, filters: number, padding: string, shape?: (number | null)[]) => ({
  class_name: 'Conv2D',
  config: { name, filters, kernel_size: [5, 5], strides: [1, 1], padding, activation: 'relu', use_bias: true, data_format: 'channels_last', ...(shape ? { batch_input_shape: shape } : {}) },
});
const pool = (name: string) => ({ class_name: 'MaxPooling2D', config: { name, pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last' } });
const dense = (name: string, units: number, activation: string) => ({ class_name: 'Dense', config: { name, units, activation, use_bias: true } });
const LAYERS = [conv('conv2d_1', 6, 'same', [null, 28, 28, 1]), pool('pool_1'), conv('conv2d_2', 16, 'valid'), pool('pool_2'), { class_name: 'Flatten', config: { name: 'flatten' } }, dense('dense_1', 120, 'relu'), dense('dense_2', 84, 'relu'), dense('dense_3', 10, 'softmax')];
/** [name, shape, fan-in] (fan-in 0: a bias, initialised to zero). */
const WEIGHTS: [string, number[], number][] = [
  ['conv2d_1/kernel', [5, 5, 1, 6], 25], ['conv2d_1/bias', [6], 0],
  ['conv2d_2/kernel', [5, 5, 6, 16], 150], ['conv2d_2/bias', [16], 0],
  ['dense_1/kernel', [400, 120], 400], ['dense_1/bias', [120], 0],
  ['dense_2/kernel', [120, 84], 120], ['dense_2/bias', [84], 0],
  ['dense_3/kernel', [84, 10], 84], ['dense_3/bias', [10], 0],
];

/** He-uniform initial weights from the seed, biases zero, as a float32 tfjs Layers model. */
function initialModel(seed: number): Model {
  const rng = new Rng(seed, 'lenet5-init');
  const parts = WEIGHTS.map(([, shape, fanIn]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const limit = fanIn ? Math.sqrt(6 / fanIn) : 0;
    return Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * limit);
  });
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let off = 0;
  for (const p of parts) (bytes.set(new Uint8Array(p.buffer), off), (off += p.byteLength));
  const json = {
    format: 'layers-model', generatedBy: 'qaudit scripts/lenet5.ts', convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: 'lenet5', layers: LAYERS }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: ['weights.bin'], weights: WEIGHTS.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
  };
  return loadLayersModel(json, new Map([['weights.bin', bytes]]));
}

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
  const model = fit(init as LayersModel, train, {
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
