// Every refusal of loadLayersModel: the right error code, and a message naming the layer, weight or path.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { loadLayersModel, MAX_LAYERS, MAX_MODEL_JSON_BYTES } from '../../../src/engine/model';
import { buildLayersModel } from '../../helpers/models';
import type { BuildOptions, TinyLayer } from '../../helpers/models';
import { expectEngineError } from './common';

beforeAll(async () => initEngine(await loadWasm()));

const MLP: TinyLayer[] = [{ type: 'dense', units: 3, activation: 'relu' }, { type: 'dense', units: 2 }];
type Json = {
  format?: string;
  modelTopology: { config: { layers: Record<string, unknown>[] } & Record<string, unknown> };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: Record<string, unknown> }[] }[];
};

function built(layers: TinyLayer[] = MLP, opts: Partial<BuildOptions> = {}) {
  const b = buildLayersModel(layers, { inputShape: [4], ...opts });
  return { json: structuredClone(b.json) as unknown as Json, shards: b.shards, file: [...b.shards.keys()][0]! };
}

describe('loadLayersModel refuses', () => {
  it('an unknown layer, naming it and its class', () => {
    const b = built([{ type: 'raw', className: 'LSTM', name: 'lstm_7', config: { units: 4 } }, { type: 'dense', units: 2 }]);
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'unsupported_layer', "'lstm_7'", 'LSTM');
  });

  it('a nested model used as a layer', () => {
    const b = built([{ type: 'raw', className: 'Sequential', name: 'inner' }, { type: 'dense', units: 2 }]);
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'unsupported_layer', "'inner'");
  });

  it('an activation outside the supported list, naming it', () => {
    const b = built([{ type: 'dense', units: 3, activation: 'gelu', name: 'd1' }, { type: 'dense', units: 2 }]);
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'unsupported_layer', "'d1'", 'gelu');
  });

  it('channels_first, dilation, ReLU variants', () => {
    const conv: TinyLayer[] = [{ type: 'conv2d', filters: 1, kernelSize: 2, name: 'c' }, { type: 'flatten' }, { type: 'dense', units: 2 }];
    for (const [key, value, word] of [['data_format', 'channels_first', 'channels_last'], ['dilation_rate', [2, 2], 'dilation_rate']] as const) {
      const b = built(conv, { inputShape: [4, 4, 1] });
      b.json.modelTopology.config.layers[0]!.config = { ...(b.json.modelTopology.config.layers[0]!.config as object), [key]: value };
      expectEngineError(() => loadLayersModel(b.json, b.shards), 'unsupported_layer', "'c'", word);
    }
    const relu = built([{ type: 'relu', maxValue: 3, name: 'r' }, { type: 'dense', units: 2 }]);
    expectEngineError(() => loadLayersModel(relu.json, relu.shards), 'unsupported_layer', "'r'", 'max_value');
  });

  it('a Functional graph that branches or merges, naming the layer', () => {
    const b = built(MLP, { format: 'functional' });
    const layers = b.json.modelTopology.config.layers;
    layers.push({ class_name: 'Dense', name: 'side', config: { name: 'side', units: 2 }, inbound_nodes: [[['dense', 0, 0, {}]]] });
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'unsupported_layer', "'dense'", 'side', 'single chain');
    const m = built(MLP, { format: 'functional' });
    m.json.modelTopology.config.layers[2]!.inbound_nodes = [[['dense', 0, 0, {}], ['dense', 0, 0, {}]]];
    expectEngineError(() => loadLayersModel(m.json, m.shards), 'unsupported_layer', "'dense_1'", '2 inputs');
  });

  it('a shard shorter than the manifest, naming the weight where the bytes end', () => {
    const b = built();
    b.shards.set(b.file, b.shards.get(b.file)!.slice(0, -4));
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'invalid_model', 'dense_1/bias', b.file, 'expected 92 bytes', 'got 88');
  });

  it('a shard longer than the manifest', () => {
    const b = built();
    const bytes = b.shards.get(b.file)!;
    b.shards.set(b.file, Uint8Array.from([...bytes, 0, 0]));
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'invalid_model', b.file, '2 bytes follow');
  });

  it('a missing shard, naming its path', () => {
    const b = built();
    expectEngineError(() => loadLayersModel(b.json, new Map()), 'invalid_model', b.file);
  });

  it('NaN and Inf weights, naming the weight', () => {
    const b = built();
    const bytes = b.shards.get(b.file)!.slice();
    new DataView(bytes.buffer).setFloat32(4 * 2, NaN, true);
    b.shards.set(b.file, bytes);
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'invalid_model', 'dense/kernel', 'NaN');
    const h = built(MLP, { quantization: 'float16' });
    const hb = h.shards.get(h.file)!.slice();
    new DataView(hb.buffer).setUint16(2 * 13, 0x7c00, true); // +Inf in the bias of dense
    h.shards.set(h.file, hb);
    expectEngineError(() => loadLayersModel(h.json, h.shards), 'invalid_model', 'dense/bias', 'Infinity');
  });

  it('unknown dtypes', () => {
    const b = built();
    b.json.weightsManifest[0]!.weights[0]!.dtype = 'complex64';
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'unsupported_dtype', 'dense/kernel', 'complex64');
    const q = built(MLP, { quantization: 'uint8' });
    q.json.weightsManifest[0]!.weights[1]!.quantization!.dtype = 'int4';
    expectEngineError(() => loadLayersModel(q.json, q.shards), 'unsupported_dtype', 'dense/bias', 'int4');
    delete q.json.weightsManifest[0]!.weights[1]!.quantization!.min;
    q.json.weightsManifest[0]!.weights[1]!.quantization!.dtype = 'uint8';
    expectEngineError(() => loadLayersModel(q.json, q.shards), 'invalid_model', 'dense/bias', 'min');
  });

  it('shapes that overflow, exceed the limits, or are not sizes', () => {
    const b = built();
    b.json.weightsManifest[0]!.weights[0]!.shape = [2 ** 40, 2 ** 40, 2 ** 40];
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'limit_exceeded', 'dense/kernel');
    b.json.weightsManifest[0]!.weights[0]!.shape = [4, -3];
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'invalid_model', 'dense/kernel', 'shape');
    b.json.weightsManifest[0]!.weights[0]!.shape = [3, 4];
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'invalid_model', 'dense/kernel', '[4,3]', 'got [3,4]');
  });

  it('a layer left without its weight', () => {
    const b = built();
    b.json.weightsManifest[0]!.weights[1]!.name = 'unrelated/thing';
    b.shards.set(b.file, b.shards.get(b.file)!);
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'invalid_model', "'dense/bias'");
  });

  it('malformed JSON and JSON of the wrong shape, with a pointer', () => {
    const b = built();
    expectEngineError(() => loadLayersModel('{"modelTopology": ', b.shards), 'invalid_model', 'JSON');
    const noManifest = { modelTopology: b.json.modelTopology };
    expectEngineError(() => loadLayersModel(noManifest, b.shards), 'invalid_model', 'weightsManifest');
    const badLayer = structuredClone(b.json);
    badLayer.modelTopology.config.layers[1]!.class_name = 42 as never;
    const err = expectEngineError(() => loadLayersModel(badLayer, b.shards), 'invalid_model', 'class_name');
    expect(err.pointer).toBe('modelTopology.config.layers[1].class_name');
    const badUnits = structuredClone(b.json);
    (badUnits.modelTopology.config.layers[0]!.config as Record<string, unknown>).units = 'three';
    expectEngineError(() => loadLayersModel(badUnits, b.shards), 'invalid_model', "'dense'", 'units');
    expectEngineError(() => loadLayersModel({ ...b.json, format: 'graph-model' }, b.shards), 'invalid_model', 'graph-model');
    expectEngineError(() => loadLayersModel(null, b.shards), 'invalid_model');
  });

  it('models over the documented limits', () => {
    const deep = built([...Array.from({ length: MAX_LAYERS }, (): TinyLayer => ({ type: 'dropout' })), { type: 'dense', units: 2 }]);
    expectEngineError(() => loadLayersModel(deep.json, deep.shards), 'limit_exceeded', `${MAX_LAYERS} layers`);
    const b = built();
    const padded = JSON.stringify(b.json) + ' '.repeat(MAX_MODEL_JSON_BYTES);
    expectEngineError(() => loadLayersModel(padded, b.shards), 'limit_exceeded', 'model.json');
    const big = built([{ type: 'maxPool', poolSize: 64 }, { type: 'flatten' }, { type: 'dense', units: 2 }], { inputShape: [513, 513, 1] });
    expectEngineError(() => loadLayersModel(big.json, big.shards), 'limit_exceeded', '512');
  });

  it('a model that does not end in class scores, or uses Dense on an image', () => {
    const conv = built([{ type: 'conv2d', filters: 2, kernelSize: 2 }], { inputShape: [3, 3, 1] });
    expectEngineError(() => loadLayersModel(conv.json, conv.shards), 'invalid_model', 'class scores');
    const img = built([{ type: 'dense', units: 2, name: 'head' }], { inputShape: [3, 3, 1] });
    expectEngineError(() => loadLayersModel(img.json, img.shards), 'invalid_model', "'head'", 'Flatten');
  });

  it('wrong input shapes and bit widths at use, leaking nothing', () => {
    const b = built();
    const model = loadLayersModel(b.json, b.shards);
    const before = tf.memory().numTensors;
    const x = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D;
    expectEngineError(() => model.logits(x), 'invalid_data', '[N, 2, 2, 1]', 'got [1,3,3,1]');
    x.dispose();
    for (const k of [0, 9, 2.5]) expectEngineError(() => model.quantize(k), 'invalid_argument', String(k));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
