// loadOnnxModel: an .onnx file (float, or int8/uint8 QDQ) from bytes, as the same GraphModel a tfjs Layers model becomes.
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../graph';
import type { LoadOptions } from '../load';
import { GraphModel, type WeightMeta } from '../model';
import { decodeModel } from './decode';
import { importOnnx } from './import';

export interface OnnxLoadOptions extends LoadOptions {
  /** Other files of the upload (a zip), by relative name, for tensors stored as external data. */
  files?: ReadonlyMap<string, Uint8Array>;
}

/**
 * Decodes the protobuf, imports the graph (NCHW becomes NHWC: images stay [N, H, W, C] in [0, 1]), and binds the
 * weights; int8/uint8 weights behind DequantizeLinear are dequantized exactly and reported as stored. Throws
 * EngineError (invalid_model, unsupported_layer, unsupported_dtype, limit_exceeded) naming the node or tensor.
 */
export function loadOnnxModel(bytes: Uint8Array, opts: OnnxLoadOptions = {}): GraphModel {
  const imported = importOnnx(decodeModel(bytes), opts.files ?? new Map(), opts.inputShape);
  const graph = { ...imported.graph, preprocess: opts.preprocess ?? null };
  const shapes = analyze(graph);
  const weights: tf.NamedTensorMap = {};
  const meta = new Map<string, WeightMeta>();
  for (const s of shapes.slots) {
    const w = imported.weights.get(s.key)!;
    weights[s.key] = tf.tensor(w.data, s.shape, 'float32');
    meta.set(s.key, { storedAs: w.storedAs });
  }
  return new GraphModel(graph, weights, meta, shapes);
}
