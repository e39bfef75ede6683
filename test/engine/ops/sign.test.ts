import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { sign } from '../../../src/engine/ops';

describe('sign', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it('is exact for tiny magnitudes, where the wasm Sign kernel returns 0', () => {
    const x = tf.tensor1d([2e-9, -4e-10, 1e-30, -1e-45, 0, -0, 0.5, -3]);
    const before = tf.memory().numTensors;
    const s = sign(x);
    expect(Array.from(s.dataSync())).toEqual([1, -1, 1, -1, 0, 0, 1, -1]);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, s]);
  });
});
