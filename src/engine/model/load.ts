// loadLayersModel: a tfjs Layers model (model.json + weight shards, as tensorflowjs_converter or model.save write it) from bytes, as a graph.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError, expect } from '../errors';
import { bindWeights } from './bind';
import { MAX_MODEL_JSON_BYTES } from './limits';
import { decodeManifest } from './manifest';
import type { Preprocess } from './ir';
import { importKeras } from './keras/graph';
import { GraphModel } from './model';
import type { WeightMeta } from './model';
import { ModelConfig, ModelJson, parseOr } from './schema';
import { analyze } from './graph';

export interface LoadOptions {
  /**
   * Image shape [H, W, C] for a model whose input is flat ([D]); by default a square image is assumed
   * when D = s^2 (C = 1) or 3 s^2 (C = 3), else [1, 1, D].
   */
  inputShape?: readonly [number, number, number];
  /** How pixels in [0, 1] map to the model's input (see ir.ts); default none. */
  preprocess?: Preprocess | null;
}

function parseJson(modelJson: string | unknown): unknown {
  const text = typeof modelJson === 'string' ? modelJson : JSON.stringify(modelJson);
  const bytes = new TextEncoder().encode(text ?? '').length;
  expect(bytes <= MAX_MODEL_JSON_BYTES, 'limit_exceeded', `expected model.json of at most ${MAX_MODEL_JSON_BYTES} bytes, got ${bytes}`);
  if (typeof modelJson !== 'string') return modelJson;
  try {
    return JSON.parse(modelJson);
  } catch (e) {
    throw new EngineError('invalid_model', `expected model.json to be JSON, got a parse error: ${(e as Error).message}`);
  }
}

/**
 * Validates model.json and every shard byte count, decodes the weights (float32, int32, or quantized
 * uint8 / uint16 / float16), binds them to the layers, and removes a final softmax (summary.removedSoftmax).
 * `shards` are matched to the manifest's paths by file name. Throws EngineError
 * (invalid_model, unsupported_layer, unsupported_dtype, limit_exceeded) naming the layer, weight or path.
 */
export function loadLayersModel(modelJson: string | unknown, shards: ReadonlyMap<string, Uint8Array>, opts: LoadOptions = {}): GraphModel {
  const raw = parseJson(modelJson);
  const format = (raw as { format?: unknown } | null)?.format;
  expect(format === undefined || format === 'layers-model', 'invalid_model', `expected a tfjs Layers model (format 'layers-model'), got format ${JSON.stringify(format)}`, 'format');
  const json = parseOr(ModelJson, raw, 'invalid_model', 'expected a tfjs Layers model.json');
  const wrapped = json.modelTopology.model_config !== undefined;
  const at = wrapped ? 'modelTopology.model_config' : 'modelTopology';
  const topology = parseOr(ModelConfig, wrapped ? json.modelTopology.model_config : json.modelTopology, 'invalid_model', 'expected a Keras model config', at);
  const version = String((json.modelTopology as { keras_version?: unknown }).keras_version ?? '');
  const graph = { ...importKeras(topology, at, /^3\./.test(version) || topology.config.layers.some((l) => l.module != null), opts.inputShape), preprocess: opts.preprocess ?? null };
  const shapes = analyze(graph);
  const decoded = decodeManifest(json.weightsManifest, shards);
  const bound = bindWeights(shapes.slots, decoded);
  const weights: tf.NamedTensorMap = {};
  const meta = new Map<string, WeightMeta>();
  for (const s of shapes.slots) {
    const w = bound.get(s.key)!;
    weights[s.key] = tf.tensor(w.values, s.shape, 'float32');
    meta.set(s.key, { storedAs: w.storedAs, affine: w.affine });
  }
  return new GraphModel(graph, weights, meta, shapes);
}
