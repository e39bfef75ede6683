// saveLayersModel: valid tfjs Layers JSON, exact uint8 for k-bit kernels, and save -> load giving identical logits.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { loadLayersModel, saveLayersModel } from '../../../src/engine/model';
import type { Model } from '../../../src/engine/model';
import { buildLayersModel } from '../../helpers/models';
import type { BuildOptions, TinyLayer } from '../../helpers/models';
import { inputs, logitsOf } from './common';

beforeAll(async () => initEngine(await loadWasm()));

const CNN: TinyLayer[] = [
  { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'batchNorm' },
  { type: 'avgPool' },
  { type: 'conv2d', filters: 4, kernelSize: 2, strides: 2, activation: 'swish' },
  { type: 'maxPool', poolSize: 2, padding: 'same' },
  { type: 'flatten' },
  { type: 'dropout' },
  { type: 'dense', units: 3, activation: 'softmax' },
];
const INPUT = [8, 8, 1];
const X = inputs(3, INPUT, 21, 0, 1);

type Manifest = { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string; min: number; scale: number } }[] }[];

function loadCnn(opts: Partial<BuildOptions> = {}): Model {
  const b = buildLayersModel(CNN, { inputShape: INPUT, seed: 9, ...opts });
  return loadLayersModel(b.json, b.shards);
}

function roundTrip(model: Model, weights: 'float32' | 'uint8') {
  const before = tf.memory().numTensors;
  const saved = saveLayersModel(model, { weights });
  expect(tf.memory().numTensors).toBe(before);
  const text = JSON.stringify(saved.json);
  const back = loadLayersModel(text, new Map([['weights.bin', saved.weights]]));
  for (const [k, t] of Object.entries(model.weights)) {
    expect(Array.from(back.weights[k]!.dataSync()), k).toEqual(Array.from(t.dataSync()));
  }
  expect(Array.from(logitsOf(back, X, 3))).toEqual(Array.from(logitsOf(model, X, 3)));
  const manifest = (saved.json as { weightsManifest: Manifest }).weightsManifest;
  return { saved, back, manifest };
}

describe('saveLayersModel', () => {
  it('float32: a valid layers-model with one shard; load gives identical weights and logits', () => {
    const model = loadCnn();
    const { saved, back, manifest } = roundTrip(model, 'float32');
    expect(saved.json).toMatchObject({ format: 'layers-model', modelTopology: { class_name: 'Model' } });
    expect(manifest).toHaveLength(1);
    expect(manifest[0]!.paths).toEqual(['weights.bin']);
    expect(saved.weights.length).toBe(4 * model.summary.parameters);
    expect(back.summary.layers).toEqual(model.summary.layers);
    // The file holds logits: the removed softmax stays removed.
    expect(model.summary.removedSoftmax).toBe(true);
    expect(back.summary.removedSoftmax).toBe(false);
    [model, back].forEach((m) => m.dispose());
  });

  it('tfjs decodeWeights reads the saved weights as the engine does', () => {
    const model = loadCnn();
    const twin = model.quantize(3);
    const saved = saveLayersModel(twin, { weights: 'uint8' });
    const manifest = (saved.json as { weightsManifest: Manifest }).weightsManifest;
    const buf = saved.weights.buffer.slice(saved.weights.byteOffset, saved.weights.byteOffset + saved.weights.byteLength) as ArrayBuffer;
    const decoded = tf.io.decodeWeights(buf, manifest[0]!.weights as tf.io.WeightsManifestEntry[]);
    for (const [k, t] of Object.entries(twin.weights)) expect(Array.from(decoded[k]!.dataSync()), k).toEqual(Array.from(t.dataSync()));
    tf.dispose(Object.values(decoded));
    [model, twin].forEach((m) => m.dispose());
  });

  for (let k = 1; k <= 8; k++) {
    it(`uint8 stores the kernels of a ${k}-bit twin exactly, and load reports ${k} bits`, () => {
      const model = loadCnn();
      const twin = model.quantize(k);
      const { back, manifest } = roundTrip(twin, 'uint8');
      for (const w of manifest[0]!.weights) expect(w.quantization?.dtype, w.name).toBe(w.name.endsWith('/kernel') ? 'uint8' : undefined);
      for (const info of back.summary.weights.filter((w) => w.name.endsWith('kernel'))) {
        expect(info.storedAs).toBe('uint8');
        expect(info.impliedBits).toBeLessThanOrEqual(k);
        expect(info.grid!.symmetric).toBe(true);
      }
      expect(back.summary.bits).toBe(twin.summary.bits);
      [model, twin, back].forEach((m) => m.dispose());
    });
  }

  it('uint8 keeps float and per-channel tensors float32, so nothing changes', () => {
    const model = loadCnn();
    const perChannel = model.quantize(4, { perChannel: true });
    for (const m of [model, perChannel]) {
      const { back, manifest } = roundTrip(m, 'uint8');
      expect(manifest[0]!.weights.every((w) => !w.quantization)).toBe(true);
      back.dispose();
    }
    [model, perChannel].forEach((m) => m.dispose());
  });

  it('uint8 re-encodes a twin read back from float32, and an uploaded uint8 model, exactly', () => {
    const model = loadCnn();
    const twin = model.quantize(2);
    const f = roundTrip(twin, 'float32');
    const u = roundTrip(f.back, 'uint8');
    expect(u.manifest[0]!.weights.filter((w) => w.quantization).map((w) => w.name)).toEqual(['conv2d/kernel', 'conv2d_1/kernel', 'dense/kernel']);
    const upload = loadCnn({ quantization: 'uint8' });
    const again = roundTrip(upload, 'uint8');
    expect(again.manifest[0]!.weights.every((w) => w.quantization?.dtype === 'uint8')).toBe(true);
    [model, twin, f.back, u.back, upload, again.back].forEach((m) => m.dispose());
  });

  it('saves Functional and Keras 3 uploads as a Keras 2 Functional model that loads to the same logits', () => {
    for (const format of ['keras3', 'keras3-functional'] as const) {
      const model = loadCnn({ format });
      roundTrip(model, 'float32').back.dispose();
      model.dispose();
    }
  });
});
