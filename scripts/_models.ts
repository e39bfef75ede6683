// Keras-style layer configs and seeded He-uniform float models, shared by the scripts that train example models.
import { loadLayersModel, type Model } from '../src/engine/model';
import { Rng } from '../src/engine/rng';

export const conv = (name: string, filters: number, size: number, padding: string, shape?: (number | null)[]) => ({
  class_name: 'Conv2D',
  config: { name, filters, kernel_size: [size, size], strides: [1, 1], padding, activation: 'relu', use_bias: true, data_format: 'channels_last', ...(shape ? { batch_input_shape: shape } : {}) },
});
export const pool = (name: string) => ({ class_name: 'MaxPooling2D', config: { name, pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last' } });
export const dense = (name: string, units: number, activation: string) => ({ class_name: 'Dense', config: { name, units, activation, use_bias: true } });
export const flatten = () => ({ class_name: 'Flatten', config: { name: 'flatten' } });

/** [name, shape, fan-in] (fan-in 0: a bias, initialised to zero). */
export type WeightSpec = [string, number[], number];

export interface InitialModel { name: string; layers: object[]; weights: WeightSpec[]; seed: number; rngKey: string; generatedBy: string }

/** He-uniform initial weights from the seed, biases zero, as a float32 tfjs Layers model. */
export function heUniformModel(o: InitialModel): Model {
  const rng = new Rng(o.seed, o.rngKey);
  const parts = o.weights.map(([, shape, fanIn]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const limit = fanIn ? Math.sqrt(6 / fanIn) : 0;
    return Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * limit);
  });
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let off = 0;
  for (const p of parts) (bytes.set(new Uint8Array(p.buffer), off), (off += p.byteLength));
  const json = {
    format: 'layers-model', generatedBy: o.generatedBy, convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: o.name, layers: o.layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: ['weights.bin'], weights: o.weights.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
  };
  return loadLayersModel(json, new Map([['weights.bin', bytes]]));
}
