// Evaluation sets: decode from .npz, fit to a model's input, slice, and batch into tensors.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError, expect } from '../errors';
import { fmtShape, type NpyArray } from './npy';
import { parseNpz, writeNpz, type NpzLimits, type WriteNpzOptions } from './npz';
import type { Dataset } from './types';

const INTEGER_DTYPES = new Set(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'int64']);

/**
 * Reads `x` (uint8 0-255, or float32/float64 in [0, 1]; shape [N, H, W, C], [N, H, W] taken as
 * C = 1, or flat [N, D] resolved later by `fitToModel`) and `y` (integer labels, shape [N]).
 * uint8 stays uint8 (4x smaller than float); float64 is narrowed to float32.
 */
export function datasetFromNpz(bytes: Uint8Array, name: string, limits?: Partial<NpzLimits>): Dataset {
  const arrays = parseNpz(bytes, limits);
  const { x, y } = arrays;
  expect(x !== undefined && y !== undefined, 'invalid_data',
    `expected arrays 'x' (images) and 'y' (labels) in the .npz, got ${Object.keys(arrays).map((k) => `'${k}'`).join(', ') || 'none'}`);
  const { shape, flat } = imageShape(x.shape);
  const labels = decodeLabels(y);
  expect(labels.length === shape[0], 'invalid_data', `expected y of length N = ${shape[0]} (one label per image in x), got ${labels.length}`);
  const ds: Dataset = { name, x: decodeImages(x), shape, y: labels };
  if (flat) ds.flat = true;
  return ds;
}

function imageShape(s: number[]): { shape: Dataset['shape']; flat: boolean } {
  expect(s.length >= 2 && s.length <= 4 && s.every((d) => d > 0), 'invalid_data',
    `expected x of shape [N, H, W, C] or [N, H*W*C] with N and every size >= 1, got ${fmtShape(s)}`);
  if (s.length === 2) return { shape: [s[0], 1, 1, s[1]], flat: true };
  if (s.length === 3) return { shape: [s[0], s[1], s[2], 1], flat: false };
  return { shape: [s[0], s[1], s[2], s[3]], flat: false };
}

function decodeImages(x: NpyArray): Uint8Array | Float32Array {
  if (x.dtype === 'uint8') return x.data as Uint8Array;
  expect(x.dtype === 'float32' || x.dtype === 'float64', 'invalid_data',
    `expected x of dtype uint8 (0-255) or float32 (in [0, 1]), got ${x.dtype}`);
  const data = x.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // Written so that NaN fails too.
    if (!(v >= 0 && v <= 1)) throw new EngineError('invalid_data', `expected x values in [0, 1] for ${x.dtype} images, got ${v} at flat index ${i}`);
  }
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

function decodeLabels(y: NpyArray): Int32Array {
  expect(INTEGER_DTYPES.has(y.dtype), 'invalid_data', `expected integer class labels in y, got dtype ${y.dtype}`);
  expect(y.shape.length === 1, 'invalid_data', `expected y of shape [N] (integer labels, not one-hot), got ${fmtShape(y.shape)}`);
  const labels = y.data instanceof Int32Array && y.dtype !== 'uint32' ? y.data : Int32Array.from(y.data);
  for (let i = 0; i < labels.length; i++) {
    // uint32 above 2^31 wraps negative in Int32Array.from, so it is refused here with the rest.
    if (labels[i] < 0) {
      throw new EngineError('invalid_data', `expected labels >= 0 in y, got ${y.data[i]} at index ${i}`);
    }
  }
  return labels;
}

/**
 * Checks `ds` against a model's input [H, W, C] and class count, reshaping flat [N, H*W*C] data
 * (read in C order, i.e. as numpy's reshape(N, H, W, C)). Shares the arrays, copies nothing.
 */
export function fitToModel(ds: Dataset, inputShape: readonly [number, number, number], numClasses: number): Dataset {
  const [n, h, w, c] = ds.shape;
  const [H, W, C] = inputShape;
  const want = fmtShape(['N', H, W, C]);
  if (ds.flat) {
    expect(w * c === H * W * C && h === 1, 'invalid_data',
      `expected x of shape ${want} or [N, ${H * W * C}] for this model, got ${fmtShape(['N', w * c])}`);
  } else {
    expect(h === H && w === W && c === C, 'invalid_data', `expected x of shape ${want} for this model, got ${fmtShape(['N', h, w, c])}`);
  }
  for (let i = 0; i < ds.y.length; i++) {
    const v = ds.y[i];
    if (!(v >= 0 && v < numClasses)) {
      throw new EngineError('invalid_data', `expected labels in [0, ${numClasses}) for this model, got ${v} at index ${i}`);
    }
  }
  return { name: ds.name, x: ds.x, y: ds.y, shape: [n, H, W, C] };
}

/** Samples [start, end) as float32 images in [0, 1] and int32 labels; the caller disposes both. */
export function batch(ds: Dataset, start: number, end: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const [n, h, w, c] = ds.shape;
  expect(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= n, 'invalid_argument',
    `expected 0 <= start < end <= ${n}, got start ${start}, end ${end}`);
  expect(!ds.flat, 'invalid_argument', `expected a data set fitted to a model (fitToModel), got flat x ${fmtShape(['N', w * c])}`);
  const per = h * w * c;
  const src = ds.x.subarray(start * per, end * per);
  let values: Float32Array;
  if (src instanceof Uint8Array) {
    values = new Float32Array(src.length);
    // v / 255 in double precision, then rounded once to float32: identical on every runtime.
    for (let i = 0; i < src.length; i++) values[i] = src[i] / 255;
  } else {
    values = src.slice();
  }
  const labels = ds.y.slice(start, end);
  return tf.tidy(() => ({
    x: tf.tensor4d(values, [end - start, h, w, c], 'float32'),
    y: tf.tensor1d(labels, 'int32'),
  }));
}

/** The first `limit` samples (all when fewer), as views on the same arrays. */
export function take(ds: Dataset, limit: number): Dataset {
  expect(Number.isInteger(limit) && limit >= 1, 'invalid_argument', `expected a sample limit that is an integer >= 1, got ${limit}`);
  const [n, h, w, c] = ds.shape;
  const k = Math.min(n, limit);
  const out: Dataset = { name: ds.name, x: ds.x.subarray(0, k * h * w * c), y: ds.y.subarray(0, k), shape: [k, h, w, c] };
  if (ds.flat) out.flat = true;
  return out;
}

/** The data set as an .npz with x (uint8 or float32, [N, H, W, C], or [N, D] when flat) and y (int32). */
export function datasetToNpz(ds: Dataset, opts?: WriteNpzOptions): Uint8Array {
  const [n, h, w, c] = ds.shape;
  const x: NpyArray = {
    dtype: ds.x instanceof Uint8Array ? 'uint8' : 'float32',
    shape: ds.flat ? [n, h * w * c] : [n, h, w, c],
    data: ds.x,
  };
  return writeNpz({ x, y: { dtype: 'int32', shape: [n], data: ds.y } }, opts);
}

/** The samples at `indices` (any order, e.g. a shuffled training batch) as float tensors in [0, 1]. */
export function gather(ds: Dataset, indices: readonly number[]): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const [n, h, w, c] = ds.shape;
  expect(!ds.flat, 'invalid_argument', `expected a data set fitted to a model (fitToModel), got flat x ${fmtShape(['N', w * c])}`);
  const per = h * w * c;
  const values = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  indices.forEach((i, k) => {
    expect(Number.isInteger(i) && i >= 0 && i < n, 'invalid_argument', `expected sample indices in [0, ${n}), got ${i}`);
    const src = ds.x.subarray(i * per, (i + 1) * per);
    for (let j = 0; j < per; j++) values[k * per + j] = src instanceof Uint8Array ? src[j]! / 255 : src[j]!;
    labels[k] = ds.y[i]!;
  });
  return tf.tidy(() => ({ x: tf.tensor4d(values, [indices.length, h, w, c], 'float32'), y: tf.tensor1d(labels, 'int32') }));
}
