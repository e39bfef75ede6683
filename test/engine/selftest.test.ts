import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadWasm } from '../wasm';
import { initEngine } from '../../src/engine/backend';
import { EngineError } from '../../src/engine/errors';
import { selfTest } from '../../src/engine/selftest';

describe('selfTest', () => {
  beforeAll(async () => initEngine(await loadWasm()));

  it('passes on the wasm engine (initEngine ran it) and leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    expect(() => selfTest()).not.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('throws engine_failure when a Conv2D kernel is subtly wrong', async () => {
    // A cpu Conv2D that corrupts one output element, registered before our ops first run on cpu.
    const original = tf.getKernel('Conv2D', 'cpu')!;
    tf.unregisterKernel('Conv2D', 'cpu');
    tf.registerKernel({
      kernelName: 'Conv2D',
      backendName: 'cpu',
      kernelFunc: (args) => {
        const out = original.kernelFunc(args) as tf.TensorInfo;
        const values = (args.backend as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(out.dataId).values;
        values[0] += 1;
        return out;
      },
    });
    await tf.setBackend('cpu');
    try {
      let error: unknown;
      try {
        selfTest();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).code).toBe('engine_failure');
      expect((error as EngineError).message).toMatch(/^expected conv2d gradients/);
    } finally {
      await tf.setBackend('wasm');
      tf.unregisterKernel('Conv2D', 'cpu');
      tf.registerKernel(original);
    }
  });
});
