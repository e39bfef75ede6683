// Test helpers: reference gradients from the stock kernels of the tfjs cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Padding } from '../../../src/engine/ops/conv';

export type Shape4 = [number, number, number, number];
/** A conv-like case: input and filter shapes ([kh, kw, cin, cout or multiplier]), strides and padding. */
export interface ConvCase { x: Shape4; w: Shape4; strides: [number, number]; pad: Padding }

/** Runs `f` on the cpu backend (stock kernels, stock gradients), then switches back to wasm. */
export async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend('wasm');
  }
}

/** max_i |got_i - want_i| / max_i |want_i|: error relative to the reference's scale. */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? err : err / scale;
}

/** Seeded normal data as a plain array, so both backends see the same numbers. */
export function data(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

export const toArrays = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
