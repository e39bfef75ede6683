// The bench's models: the shipped CNN, a LeNet, the ResNet-style reference on 32x32x3 and MobileNetV2 at 224x224x3,
// each with its files, its data and its bench settings. Worker threads look a model up here by id.
import { readFileSync } from 'node:fs';
import { readData } from '../src/cli/files';
import { loadBuiltinMnist } from '../src/data/mnist.node';
import { fitSource } from '../src/engine/data/source';
import { fitToModel, take } from '../src/engine/data/dataset';
import type { Dataset } from '../src/engine/data/types';
import { loadLayersModel, saveLayersModel } from '../src/engine/model';
import type { Model } from '../src/engine/model/types';
import { colourMnist } from '../scripts/reference/colour';
import { conv, dense, flatten, heUniformModel, pool } from '../scripts/_models';

export type ModelId = 'cnn' | 'lenet' | 'resnet' | 'mobilenet';
export const MODEL_IDS: readonly ModelId[] = ['cnn', 'lenet', 'resnet', 'mobilenet'];

export interface ModelFiles { modelJson: unknown; shards: [string, Uint8Array][] }

export interface BenchModel {
  id: ModelId;
  /** What it is and where its weights come from, for the doc. */
  title: string;
  /** What the inputs are, for the doc. */
  dataTitle: string;
  files(): ModelFiles;
  /** `n` inputs fitted to the model (the rates' batch, the logits check, PyTorch's audit samples). */
  samples(model: Model, n: number): Promise<Dataset>;
  /** What runAuditLocally audits: the built-in MNIST or the first `n` samples as a Dataset. */
  auditData(n: number): 'mnist' | Dataset;
  /** Default forward / PGD batch and PGD steps per timed call. */
  batch: number;
  rateSteps: number;
  /** Default standard-audit samples; null: no audit (forward and PGD rates only). */
  auditSamples: number | null;
}

const dirFiles = (dir: string): ModelFiles => {
  const modelJson = JSON.parse(readFileSync(`${dir}/model.json`, 'utf8')) as { weightsManifest: { paths: string[] }[] };
  const paths = modelJson.weightsManifest.flatMap((g) => g.paths);
  return { modelJson, shards: paths.map((p) => [p, new Uint8Array(readFileSync(`${dir}/${p}`))]) };
};

/** The first `n` samples of the built-in MNIST test split, fitted to the model. */
export const mnistTest = (model: Model, n: number): Dataset => take(fitToModel(loadBuiltinMnist().test, model.inputShape, model.numClasses), n);
const colourTest = (n: number): Dataset => colourMnist(take(loadBuiltinMnist().test, n));

/** LeNet with 'valid' convolutions: 28 -> conv5 24 -> pool 12 -> conv5 8 -> pool 4, flatten 1024 -> 256 -> 10. */
const LENET_LAYERS = [
  conv('conv2d_1', 32, 5, 'valid', [null, 28, 28, 1]), pool('pool_1'), conv('conv2d_2', 64, 5, 'valid'), pool('pool_2'),
  flatten(), dense('dense_1', 256, 'relu'), dense('dense_2', 10, 'softmax'),
];

/** The LeNet's files: seeded He-uniform weights, untrained (timing does not depend on the values). */
function lenetFiles(): ModelFiles {
  const m = heUniformModel({
    name: 'lenet-bench', layers: LENET_LAYERS, seed: 0, rngKey: 'bench-lenet', generatedBy: 'qaudit bench/models.ts',
    weights: [
      ['conv2d_1/kernel', [5, 5, 1, 32], 25], ['conv2d_1/bias', [32], 0],
      ['conv2d_2/kernel', [5, 5, 32, 64], 800], ['conv2d_2/bias', [64], 0],
      ['dense_1/kernel', [1024, 256], 1024], ['dense_1/bias', [256], 0],
      ['dense_2/kernel', [256, 10], 256], ['dense_2/bias', [10], 0],
    ],
  });
  const { json, weights } = saveLayersModel(m, { weights: 'float32' });
  m.dispose();
  const paths = (json as { weightsManifest: { paths: string[] }[] }).weightsManifest[0]!.paths;
  return { modelJson: json, shards: [[paths[0]!, weights]] };
}

const NATURAL = 'test/fixtures/images/natural';

/** The 4 natural photographs resized to the model's input (bilinear), repeated to `n`. */
async function naturalImages(model: Model, n: number): Promise<Dataset> {
  const ds = fitSource(await readData(NATURAL), model.inputShape, model.numClasses);
  const k = ds.shape[0];
  const per = ds.x.length / k;
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) x.set(Float32Array.from(ds.x.subarray((i % k) * per, (i % k + 1) * per), (v) => (ds.x instanceof Uint8Array ? v / 255 : v)), i * per);
  return { name: 'natural', x, y: Int32Array.from({ length: n }, (_, i) => ds.y[i % k]!), shape: [n, ...ds.shape.slice(1)] as Dataset['shape'] };
}

export const MODELS: Record<ModelId, BenchModel> = {
  cnn: {
    id: 'cnn', title: 'examples/mnist-cnn, the shipped CNN (conv 3x3x8, pool, conv 3x3x16, pool, dense 64, dense 10; trained)',
    dataTitle: 'built-in MNIST test split', files: () => dirFiles('examples/mnist-cnn'),
    samples: async (m, n) => mnistTest(m, n), auditData: () => 'mnist', batch: 128, rateSteps: 10, auditSamples: 64,
  },
  lenet: {
    id: 'lenet', title: "LeNet (conv 5x5x32 'valid', max-pool 2, conv 5x5x64 'valid', max-pool 2, dense 256, dense 10; seeded He-uniform weights, untrained: timing does not depend on the values)",
    dataTitle: 'built-in MNIST test split', files: lenetFiles,
    samples: async (m, n) => mnistTest(m, n), auditData: () => 'mnist', batch: 128, rateSteps: 10, auditSamples: 16,
  },
  resnet: {
    id: 'resnet', title: 'test/fixtures/models/resnet-rgb32/float, the ResNet-style reference of scripts/reference (Conv2D same/strided, BatchNorm, Add, GlobalAveragePooling2D; trained)',
    dataTitle: 'colour MNIST 32x32x3 (scripts/reference/colour.ts, seed 12) of the MNIST test split', files: () => dirFiles('test/fixtures/models/resnet-rgb32/float'),
    samples: async (_m, n) => colourTest(n), auditData: (n) => colourTest(n), batch: 64, rateSteps: 10, auditSamples: 16,
  },
  mobilenet: {
    id: 'mobilenet', title: 'test/fixtures/models/nsfwjs-mobilenet-v2, a Keras 2.2.4 MobileNetV2 (alpha 1.0, 224x224x3, 5 classes; tfjs uint8 weights, decoded to float32 on both sides)',
    dataTitle: `the 4 photographs of ${NATURAL} resized to 224x224 (bilinear), repeated to fill the batch`, files: () => dirFiles('test/fixtures/models/nsfwjs-mobilenet-v2'),
    samples: naturalImages, auditData: () => 'mnist', batch: 4, rateSteps: 2, auditSamples: null,
  },
};

export function loadBenchModel(id: ModelId): Model {
  const f = MODELS[id].files();
  return loadLayersModel(f.modelJson, new Map(f.shards));
}
