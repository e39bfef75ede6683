import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { EngineError } from '../../../src/engine/errors';
import { batch, datasetFromNpz, datasetToNpz, fitToModel, take } from '../../../src/engine/data/dataset';
import { writeNpz, type NpyArray } from '../../../src/engine/data/npz';
import type { Dataset } from '../../../src/engine/data/types';

function refuses(fn: () => unknown, code: string, message: RegExp | string): void {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  expect(caught).toBeInstanceOf(EngineError);
  expect((caught as EngineError).code).toBe(code);
  if (typeof message === 'string') expect((caught as EngineError).message).toBe(message);
  else expect((caught as EngineError).message).toMatch(message);
}

const u8x = (shape: number[]): NpyArray => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'uint8', shape, data: Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256) };
};
const labels = (...v: number[]): NpyArray => ({ dtype: 'int64', shape: [v.length], data: Int32Array.from(v) });
const npz = (x: NpyArray, y: NpyArray) => writeNpz({ x, y });

describe('datasetFromNpz', () => {
  it('keeps uint8 images compact and reads [N, H, W, C], [N, H, W] and flat [N, D]', () => {
    const ds = datasetFromNpz(npz(u8x([3, 2, 2, 1]), labels(0, 1, 2)), 'mine');
    expect(ds.x).toBeInstanceOf(Uint8Array);
    expect(ds.shape).toEqual([3, 2, 2, 1]);
    expect(Array.from(ds.y)).toEqual([0, 1, 2]);
    expect(ds.flat).toBeUndefined();
    expect(datasetFromNpz(npz(u8x([3, 2, 2]), labels(0, 1, 2)), 'g').shape).toEqual([3, 2, 2, 1]);
    const flat = datasetFromNpz(npz(u8x([3, 12]), labels(0, 1, 2)), 'f');
    expect(flat.flat).toBe(true);
    expect(flat.shape).toEqual([3, 1, 1, 12]);
  });

  it('accepts float images in [0, 1] and narrows float64 to float32', () => {
    const x: NpyArray = { dtype: 'float64', shape: [2, 1, 1, 2], data: Float64Array.of(0, 0.5, 1, 0.25) };
    const ds = datasetFromNpz(npz(x, { dtype: 'uint8', shape: [2], data: Uint8Array.of(1, 0) }), 'f');
    expect(ds.x).toBeInstanceOf(Float32Array);
    expect(Array.from(ds.x)).toEqual([0, 0.5, 1, 0.25]);
    expect(Array.from(ds.y)).toEqual([1, 0]);
  });

  it('refuses missing arrays, bad values, bad shapes and N mismatch, naming the problem', () => {
    refuses(() => datasetFromNpz(writeNpz({ x: u8x([2, 4]) }), 'd'), 'invalid_data', /'x' \(images\) and 'y' \(labels\).*got 'x'/);
    refuses(() => datasetFromNpz(writeNpz({ images: u8x([2, 4]), y: labels(0, 1) }), 'd'), 'invalid_data', /got 'images', 'y'/);
    const nan: NpyArray = { dtype: 'float32', shape: [2, 2], data: Float32Array.of(0, 1, NaN, 0) };
    refuses(() => datasetFromNpz(npz(nan, labels(0, 1)), 'd'), 'invalid_data', /\[0, 1\].*got NaN at flat index 2/);
    const over: NpyArray = { dtype: 'float32', shape: [1, 2], data: Float32Array.of(0, 255) };
    refuses(() => datasetFromNpz(npz(over, labels(0)), 'd'), 'invalid_data', /got 255 at flat index 1/);
    refuses(() => datasetFromNpz(npz(u8x([3, 4]), labels(0, 1)), 'd'), 'invalid_data', 'expected y of length N = 3 (one label per image in x), got 2');
    refuses(() => datasetFromNpz(npz(u8x([3]), labels(0, 1, 2)), 'd'), 'invalid_data', /shape \[N, H, W, C\] or \[N, H\*W\*C\].*got \[3\]/);
    refuses(() => datasetFromNpz(npz(u8x([0, 4]), labels()), 'd'), 'invalid_data', /N and every size >= 1/);
    refuses(() => datasetFromNpz(npz({ dtype: 'int32', shape: [1, 2], data: Int32Array.of(0, 1) }, labels(0)), 'd'), 'invalid_data', /uint8.*float32.*got int32/);
    refuses(() => datasetFromNpz(npz(u8x([2, 4]), { dtype: 'float32', shape: [2], data: Float32Array.of(0, 1) }), 'd'), 'invalid_data', /integer class labels.*float32/);
    refuses(() => datasetFromNpz(npz(u8x([2, 4]), { dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(1, 0, 0, 1) }), 'd'), 'invalid_data', /not one-hot/);
    refuses(() => datasetFromNpz(npz(u8x([2, 4]), labels(0, -3)), 'd'), 'invalid_data', /labels >= 0.*got -3 at index 1/);
    refuses(() => datasetFromNpz(npz(u8x([1, 4]), { dtype: 'uint32', shape: [1], data: Uint32Array.of(2 ** 32 - 1) }), 'd'), 'invalid_data', /got 4294967295/);
  });
});

describe('fitToModel', () => {
  it('reshapes flat [N, H*W*C] data to the model input without copying', () => {
    const flat = datasetFromNpz(npz(u8x([2, 784]), labels(3, 9)), 'f');
    const fit = fitToModel(flat, [28, 28, 1], 10);
    expect(fit.shape).toEqual([2, 28, 28, 1]);
    expect(fit.flat).toBeUndefined();
    expect(fit.x).toBe(flat.x);
  });

  it('refuses shapes and labels that do not fit, with the message users see', () => {
    const rgb = datasetFromNpz(npz(u8x([2, 32, 32, 3]), labels(0, 1)), 'c');
    refuses(() => fitToModel(rgb, [28, 28, 1], 10), 'invalid_data', 'expected x of shape [N, 28, 28, 1] for this model, got [N, 32, 32, 3]');
    const flat = datasetFromNpz(npz(u8x([2, 3072]), labels(0, 1)), 'c');
    refuses(() => fitToModel(flat, [28, 28, 1], 10), 'invalid_data', 'expected x of shape [N, 28, 28, 1] or [N, 784] for this model, got [N, 3072]');
    const ds = datasetFromNpz(npz(u8x([2, 2, 2, 1]), labels(0, 12)), 'l');
    refuses(() => fitToModel(ds, [2, 2, 1], 10), 'invalid_data', 'expected labels in [0, 10) for this model, got 12 at index 1');
  });
});

describe('batch, take and datasetToNpz', () => {
  beforeAll(async () => initEngine(await loadWasm()));
  const ds: Dataset = fitToModel(datasetFromNpz(npz(u8x([5, 2, 2, 1]), labels(0, 1, 2, 3, 4)), 'b'), [2, 2, 1], 5);

  it('gives float32 images in [0, 1] equal to bytes / 255, int32 labels, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const { x, y } = batch(ds, 1, 4);
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([3, 2, 2, 1]);
    const v = x.dataSync();
    expect(Array.from(v)).toEqual(Array.from(ds.x.subarray(4, 16), (b) => Math.fround(b / 255)));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('batches float data unchanged and refuses bad ranges and unfitted flat data', () => {
    const fx: Dataset = { name: 'f', x: Float32Array.of(0, 0.5, 1, 0.25), shape: [2, 1, 2, 1], y: Int32Array.of(0, 1) };
    const before = tf.memory().numTensors;
    const { x, y } = batch(fx, 0, 2);
    expect(Array.from(x.dataSync())).toEqual([0, 0.5, 1, 0.25]);
    tf.dispose([x, y]);
    for (const [s, e] of [[2, 2], [-1, 1], [0, 6], [0.5, 2]]) refuses(() => batch(ds, s, e), 'invalid_argument', /start < end <= 5/);
    const flat = datasetFromNpz(npz(u8x([2, 4]), labels(0, 1)), 'f');
    refuses(() => batch(flat, 0, 1), 'invalid_argument', /fitToModel/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('take keeps the first samples, all of them when the limit exceeds N', () => {
    const two = take(ds, 2);
    expect(two.shape).toEqual([2, 2, 2, 1]);
    expect(Array.from(two.x)).toEqual(Array.from(ds.x.subarray(0, 8)));
    expect(Array.from(two.y)).toEqual([0, 1]);
    expect(take(ds, 99).shape[0]).toBe(5);
    refuses(() => take(ds, 0), 'invalid_argument', /integer >= 1, got 0/);
  });

  it('datasetToNpz round-trips through datasetFromNpz, flat data included', () => {
    const back = datasetFromNpz(datasetToNpz(take(ds, 3), { compress: true }), 'b');
    expect(back).toEqual({ ...take(ds, 3), x: ds.x.slice(0, 12), y: ds.y.slice(0, 3) });
    const flat = datasetFromNpz(npz({ dtype: 'float32', shape: [1, 3], data: Float32Array.of(0, 0.5, 1) }, labels(2)), 'f');
    expect(datasetFromNpz(datasetToNpz(flat), 'f')).toEqual(flat);
  });
});
