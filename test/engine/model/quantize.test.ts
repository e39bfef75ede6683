// k-bit quantization (METHOD.md) on arrays and on models, and the implied-bit detection of quantized uploads.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { loadLayersModel, quantizeTensor } from '../../../src/engine/model';
import { Rng } from '../../../src/engine/rng';
import { buildLayersModel } from '../../helpers/models';
import type { TinyLayer } from '../../helpers/models';
import { expectClose, inputs, logitsOf } from './common';

beforeAll(async () => initEngine(await loadWasm()));

function normal(n: number, seed: number): Float32Array {
  const rng = new Rng(seed, 'quantize-test');
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));
}
const distinct = (v: Float32Array) => new Set(Array.from(v, (x) => x + 0)).size;
const err = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));

describe('quantizeTensor', () => {
  const w = normal(2000, 1);

  it('gives at most 2^k - 1 values, symmetric, on multiples of s = max|W| / (2^(k-1) - 1)', () => {
    const maxAbs = w.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const neg = w.map((x) => -x);
    for (let k = 2; k <= 8; k++) {
      const m = 2 ** (k - 1) - 1;
      const { values, scales } = quantizeTensor(w, k);
      expect(distinct(values)).toBeLessThanOrEqual(2 ** k - 1);
      expect(scales[0]).toBe(Math.fround(maxAbs / m));
      for (const v of values) expect(Math.abs(v / scales[0]! - Math.round(v / scales[0]!))).toBeLessThan(1e-5);
      expect(Array.from(quantizeTensor(neg, k).values)).toEqual(Array.from(values, (x) => (x === 0 ? 0 : -x)));
    }
  });

  it('error shrinks as k grows', () => {
    const errors = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => err(quantizeTensor(w, k).values, w));
    for (let k = 2; k < 8; k++) expect(errors[k]!).toBeLessThan(errors[k - 1]!);
  });

  it('matches the formula on a hand example, rounding ties away from zero', () => {
    const x = Float32Array.from([0.9, -0.3, 0.1, 0.45, 0, -0.45]);
    expect(Array.from(quantizeTensor(x, 2).values)).toEqual([0.9, 0, 0, 0.9, 0, -0.9].map(Math.fround));
    // k = 3: s = 0.3, W / s = [3, -1, 1/3, 1.5, 0, -1.5].
    const s = Math.fround(Math.fround(0.9) / 3);
    expect(Array.from(quantizeTensor(x, 3).values)).toEqual([3, -1, 0, 2, 0, -2].map((j) => Math.fround(s * j)));
  });

  it('k = 1 is mean|W| * sign(W) with sign(0) = +1', () => {
    const x = Float32Array.from([0.5, -1, 0, 2]);
    const a = Math.fround(3.5 / 4);
    expect(Array.from(quantizeTensor(x, 1).values)).toEqual([a, -a, a, a]);
  });

  it('keeps all-zero tensors and channels zero', () => {
    for (let k = 1; k <= 8; k++) {
      expect(Array.from(quantizeTensor(new Float32Array(6), k).values)).toEqual([0, 0, 0, 0, 0, 0]);
      // [2, 3] kernel, channel 1 all zero
      const q = quantizeTensor(Float32Array.from([1, 0, -2, 0.5, 0, 3]), k, 3).values;
      expect([q[1], q[4]]).toEqual([0, 0]);
    }
  });

  it('per channel: one scale per output channel (last axis), smaller error on unequal channels', () => {
    // [500, 4] kernel whose channels differ in magnitude by up to 1000x.
    const mags = [1, 0.1, 0.01, 0.001];
    const k = Float32Array.from(normal(2000, 2), (x, i) => x * mags[i % 4]!);
    for (const bits of [2, 4]) {
      const per = quantizeTensor(k, bits, 4);
      expect(per.scales.length).toBe(4);
      for (let c = 0; c < 4; c++) {
        const col = k.filter((_, i) => i % 4 === c);
        const want = quantizeTensor(col, bits).values;
        expect(Array.from(per.values.filter((_, i) => i % 4 === c))).toEqual(Array.from(want));
      }
      expect(err(per.values, k)).toBeLessThan(err(quantizeTensor(k, bits).values, k));
    }
  });
});

describe('model.quantize and implied bits', () => {
  // A Dense kernel [40, 25] of 1000 evenly spread values uses every level of every k <= 8.
  const spread = Array.from({ length: 1000 }, (_, i) => -1 + (2 * i) / 999);
  const layers: TinyLayer[] = [
    { type: 'dense', units: 25, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'dense', units: 3, activation: 'softmax' },
  ];
  const opts = { inputShape: [40], values: { 'dense/kernel': spread } };

  it('quantizes kernels only, and the summary reports k bits on a symmetric grid', () => {
    const built = buildLayersModel(layers, opts);
    const model = loadLayersModel(built.json, built.shards);
    expect(model.summary.bits).toBeNull();
    const before = tf.memory().numTensors;
    for (let k = 1; k <= 8; k++) {
      const twin = model.quantize(k);
      const info = twin.summary.weights.find((w) => w.name === 'dense/kernel')!;
      expect(info.distinct).toBe(k === 1 ? 2 : 2 ** k - 1);
      expect(info.impliedBits).toBe(k);
      expect(info.grid).toMatchObject({ levels: k === 1 ? 2 : 2 ** k - 1, symmetric: true });
      expect(twin.summary.bits).toBeLessThanOrEqual(k);
      for (const w of twin.summary.weights.filter((x) => !x.name.endsWith('kernel'))) {
        expect(Array.from(twin.weights[w.name]!.dataSync())).toEqual(Array.from(model.weights[w.name]!.dataSync()));
        expect(w.impliedBits).toBeNull();
      }
      const q = quantizeTensor(model.weights['dense_1/kernel']!.dataSync() as Float32Array, k).values;
      expect(Array.from(twin.weights['dense_1/kernel']!.dataSync())).toEqual(Array.from(q));
      twin.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('per-channel twins report per-channel bits', () => {
    const built = buildLayersModel(layers, opts);
    const model = loadLayersModel(built.json, built.shards);
    const twin = model.quantize(3, { perChannel: true });
    const info = twin.summary.weights.find((w) => w.name === 'dense_1/kernel')!;
    expect(info.perChannel || info.grid !== null).toBe(true);
    expect(info.impliedBits).toBeLessThanOrEqual(3);
    expect(twin.summary.bits).toBeLessThanOrEqual(3);
    twin.dispose();
    model.dispose();
  });

  it('detects the bit width of a converter-style uint8 upload of 4-bit kernels', () => {
    const s = 0.125;
    const grid4 = spread.map((x) => s * Math.round(x / s / 1.0001 * 7 / 8));
    const built = buildLayersModel(layers, { ...opts, values: { 'dense/kernel': grid4 }, quantization: 'uint8' });
    const model = loadLayersModel(built.json, built.shards);
    const info = model.summary.weights.find((w) => w.name === 'dense/kernel')!;
    expect(info.storedAs).toBe('uint8');
    expect(info.distinct).toBe(15);
    expect(info.impliedBits).toBe(4);
    // min + scale * q with scale = range / 255 cannot hold the 15 levels exactly: the grid found is the uint8 one.
    expect(info.grid!.levels).toBeLessThanOrEqual(256);
    expect(info.grid!.min).toBeCloseTo(-7 * s, 6);
    expect(info.grid!.min + info.grid!.step * (info.grid!.levels - 1)).toBeCloseTo(7 * s, 6);
    // The seeded float dense_1 kernel, stored as uint8 by the converter, is on an 8-bit grid.
    const other = model.summary.weights.find((w) => w.name === 'dense_1/kernel')!;
    expect(other.impliedBits).toBeLessThanOrEqual(8);
    expect(other.grid!.levels).toBeLessThanOrEqual(256);
    model.dispose();
  });

  it('twin logits stay differentiable with respect to the input', () => {
    const conv: TinyLayer[] = [{ type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'avgPool' }, { type: 'flatten' }, { type: 'dense', units: 3 }];
    const built = buildLayersModel(conv, { inputShape: [6, 6, 1] });
    const model = loadLayersModel(built.json, built.shards);
    const twin = model.quantize(2);
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(inputs(2, [6, 6, 1]), [2, 6, 6, 1]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(twin.logits(t as tf.Tensor4D)))(x);
    expect(g.shape).toEqual([2, 6, 6, 1]);
    expect(Math.max(...Array.from(g.dataSync(), Math.abs))).toBeGreaterThan(0);
    tf.dispose([x, g]);
    expect(tf.memory().numTensors).toBe(before);
    expectClose(logitsOf(twin, inputs(1, [6, 6, 1]), 1), logitsOf(twin, inputs(1, [6, 6, 1]), 1));
    [model, twin].forEach((m) => m.dispose());
  });
});
