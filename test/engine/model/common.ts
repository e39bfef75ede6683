// Shared bits of the model tests: seeded inputs, logits as plain arrays, and an EngineError matcher.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { EngineError } from '../../../src/engine/errors';
import type { EngineErrorCode } from '../../../src/engine/errors';
import type { Classifier } from '../../../src/engine/types';
import { Rng } from '../../../src/engine/rng';

export function inputs(n: number, shape: readonly number[], seed = 7, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed, 'model-test-inputs');
  return Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.next());
}

/** Logits of n samples, leaving no tensor behind. */
export function logitsOf(model: Classifier, x: Float32Array, n: number): Float32Array {
  const t = tf.tensor4d(x, [n, ...model.inputShape]);
  const y = model.logits(t);
  const out = y.dataSync().slice() as Float32Array;
  tf.dispose([t, y]);
  return out;
}

/** Runs f, expects an EngineError with `code` whose message contains every `parts` string. */
export function expectEngineError(f: () => unknown, code: EngineErrorCode, ...parts: string[]): EngineError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an EngineError').toBeInstanceOf(EngineError);
  const err = caught as EngineError;
  expect(err.code, err.message).toBe(code);
  for (const p of parts) expect(err.message).toContain(p);
  return err;
}

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    expect(Math.abs(got[i]! - w), `index ${i}: got ${got[i]}, want ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  }
}
