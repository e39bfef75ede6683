// The reference models (scripts/reference: ResNet- and MobileNetV2-style CNNs trained in PyTorch, exported as tfjs
// Layers Functional models, float32 and uint8 manifests): the engine's logits equal PyTorch's and tfjs-layers',
// and its clean and FGSM accuracies on the whole test split are those of torchattacks (PGD: scripts/compare/reference.ts);
// the same for their ONNX exports (float: PyTorch's logits and torchattacks' accuracies; int8 QDQ: onnxruntime's logits).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { startNodeEngine } from '../../src/runtime/node';
import { createRequire } from 'node:module';
import { loadLayersModel, loadOnnxModel, type Model } from '../../src/engine/model';
import { parseNpz } from '../../src/engine/data/npz';
import { batch } from '../../src/engine/data/dataset';
import type { Dataset } from '../../src/engine/data/types';
import { runAttack } from '../../src/engine/attacks';
import { builtinMnist } from '../../src/data/mnist.node';
import { colourMnist } from '../../scripts/reference/colour';

const ROOT = new URL('../fixtures/models/', import.meta.url);
const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const MODELS = ['resnet-mnist', 'mobilenet-mnist', 'resnet-rgb32', 'mobilenet-rgb32'];
const ENCODINGS = ['float', 'uint8'] as const;

beforeAll(async () => {
  await startNodeEngine();
});

async function files(name: string, enc: string) {
  const dir = new URL(`${name}/${enc}/`, ROOT);
  const json = JSON.parse(await readFile(new URL('model.json', dir), 'utf8'));
  const shards = new Map<string, Uint8Array>();
  for (const p of json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths)) shards.set(p, new Uint8Array(await readFile(new URL(p, dir))));
  return { json, shards };
}

async function reference(name: string) {
  const npz = parseNpz(new Uint8Array(await readFile(new URL(`${name}/reference.npz`, ROOT))));
  return { x: npz.x!.data as Float32Array, shape: npz.x!.shape, logits: { float: npz.logits_float!.data as Float32Array, uint8: npz.logits_uint8!.data as Float32Array } };
}

/** max |a - b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

const logitsOf = (m: Model, x: Float32Array, shape: number[]) => tf.tidy(() => m.logits(tf.tensor4d(x, shape as [number, number, number, number])).dataSync().slice());

describe('reference models (PyTorch-trained, tfjs Layers Functional)', () => {
  for (const name of MODELS) {
    for (const enc of ENCODINGS) {
      it(`${name} ${enc}: logits equal PyTorch's and tfjs-layers' to 1e-4 relative`, async () => {
        const { json, shards } = await files(name, enc);
        const ref = await reference(name);
        const model = loadLayersModel(json, shards);
        expect(model.summary.removedSoftmax).toBe(true);
        if (enc === 'uint8') expect(model.summary.weights.every((w) => w.storedAs === 'uint8')).toBe(true);
        const got = logitsOf(model, ref.x, ref.shape);
        expect(relErr(got, ref.logits[enc])).toBeLessThan(1e-4);
        // tfjs-layers 4.22 reads Keras 2 files only (the Keras 3 ones are checked against PyTorch above).
        if (JSON.stringify(json.modelTopology).includes('keras_history')) return model.dispose();
        // tfjs-layers computes probabilities (the file ends in softmax): compare with the softmax of ours.
        const official = await tfl.loadLayersModel(tf.io.fromMemory({
          modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
          weightData: shards.values().next().value!.buffer as ArrayBuffer,
        }));
        const probs = tf.tidy(() => (official.predict(tf.tensor4d(ref.x, ref.shape as [number, number, number, number])) as tf.Tensor).dataSync().slice());
        const ours = tf.tidy(() => tf.softmax(tf.tensor2d(got, [ref.shape[0]!, got.length / ref.shape[0]!])).dataSync().slice());
        expect(relErr(ours, probs)).toBeLessThan(1e-4);
        official.dispose();
        model.dispose();
      });
    }
  }
});

const onnxFile = async (name: string, file: string) => new Uint8Array(await readFile(new URL(`${name}/onnx/${file}`, ROOT)));

/** onnxruntime's logits for NHWC images (the exported graph takes NCHW), without graph optimizations. */
async function onnxRuntime(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const [n, h, w, c] = shape as [number, number, number, number];
  const nchw = new Float32Array(x.length);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) for (let k = 0; k < c; k++) {
    nchw[((i * c + k) * h + y) * w + z] = x[((i * h + y) * w + z) * c + k]!;
  }
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', nchw, [n, c, h, w]) });
  return out[s.outputNames[0]!]!.data as Float32Array;
}

describe('reference models exported to ONNX (scripts/reference/export_onnx.py)', () => {
  for (const name of MODELS) {
    it(`${name}: float ONNX logits equal PyTorch's, int8 QDQ ONNX logits equal onnxruntime's, to 1e-4 relative`, async () => {
      const ref = await reference(name);
      const float = loadOnnxModel(await onnxFile(name, 'model.onnx'));
      expect(float.inputShape).toEqual(ref.shape.slice(1));
      expect(relErr(logitsOf(float, ref.x, ref.shape), ref.logits.float)).toBeLessThan(1e-4);
      float.dispose();
      const bytes = await onnxFile(name, 'model-int8.onnx');
      const int8 = loadOnnxModel(bytes);
      expect(int8.summary.weights.filter((w) => w.storedAs === 'int8').length).toBeGreaterThan(0);
      expect(relErr(logitsOf(int8, ref.x, ref.shape), await onnxRuntime(bytes, ref.x, ref.shape))).toBeLessThan(1e-4);
      int8.dispose();
    });
  }
});

/** The test split each model was attacked on, as torchattacks saw it (scripts/reference/README.md). */
function testSplit(name: string): Dataset {
  const grey = builtinMnist('mnist-test');
  return name.endsWith('rgb32') ? colourMnist(grey) : grey;
}

/** Accuracy of FGSM at each eps over the whole split, in batches of 250. */
function fgsmAccuracy(model: Model, data: Dataset, epsilons: number[]): number[] {
  const n = data.shape[0];
  const correct = epsilons.map(() => 0);
  for (let s = 0; s < n; s += 250) {
    const e = Math.min(n, s + 250);
    const { x, y } = batch(data, s, e);
    const res = runAttack({ name: 'fgsm' }, model, x, y, { norm: 'linf', epsilons, seed: 0, indices: Array.from({ length: e - s }, (_, i) => s + i) });
    res.forEach((r, k) => (correct[k] += r.correct.reduce((a, b) => a + b, 0)));
    tf.dispose([x, y]);
  }
  return correct.map((c) => c / n);
}

/**
 * The files checked here on the whole split: every model, each file kind (Layers float, Layers uint8, ONNX) on at
 * least one residual and one mobile model, within the suite's time. docs/agreement-reference.md has every
 * model x file with FGSM and PGD (scripts/compare/reference.ts).
 */
const IN_SUITE: Record<string, string[]> = {
  'resnet-mnist': ['float', 'uint8', 'onnx'], 'mobilenet-mnist': ['uint8', 'onnx'], 'resnet-rgb32': ['onnx'], 'mobilenet-rgb32': ['float'],
};

/** Models whose torchattacks run is committed (scripts/reference/attacks.py takes ~20 min per model on 2 cores). */
const ATTACKED = MODELS.filter((m) => existsSync(new URL(`${m}/torchattacks.json`, ROOT)));

describe('reference models: FGSM on the whole test split equals torchattacks', () => {
  it('has torchattacks numbers for a residual model in grey and in colour at least', () => {
    expect(ATTACKED).toEqual(expect.arrayContaining(['resnet-mnist', 'resnet-rgb32']));
  });
  for (const name of ATTACKED) {
    it(`${name}: clean and FGSM accuracies within 1.5 points of torchattacks (${IN_SUITE[name]!.join(', ')})`, { timeout: 600_000 }, async () => {
      const want = JSON.parse(await readFile(new URL(`${name}/torchattacks.json`, ROOT), 'utf8'));
      const data = testSplit(name);
      expect(data.shape[0]).toBe(want.samples);
      const epsilons: number[] = want.settings.eps;
      // The tfjs Layers files (float and uint8), and the ONNX export of the float model (torch.onnx.export, NCHW).
      const all: [string, 'float' | 'uint8', () => Promise<Model>][] = [
        ...ENCODINGS.map((enc): [string, typeof enc, () => Promise<Model>] => [enc, enc, async () => { const f = await files(name, enc); return loadLayersModel(f.json, f.shards); }]),
        ['onnx', 'float', async () => loadOnnxModel(await onnxFile(name, 'model.onnx'))],
      ];
      const variants = all.filter(([label]) => IN_SUITE[name]!.includes(label));
      for (const [label, enc, load] of variants) {
        const model = await load();
        const got = fgsmAccuracy(model, data, [0, ...epsilons]);
        expect(Math.abs(got[0]! - want[enc].clean), `${label} clean`).toBeLessThanOrEqual(0.015);
        epsilons.forEach((eps, i) => expect(Math.abs(got[i + 1]! - want[enc].fgsm[String(eps)]), `${label} fgsm@${eps}`).toBeLessThanOrEqual(0.015));
        model.dispose();
      }
    });
  }
});
