// Every refusal of loadLayersModel: the right error code, and a message naming the layer, weight or path.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { loadLayersModel, MAX_NODES, MAX_MODEL_JSON_BYTES } from '../../../src/engine/model';
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
    const b = built([{ type: 'dense', units: 3, activation: 'mish', name: 'd1' }, { type: 'dense', units: 2 }]);
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'unsupported_layer', "'d1'", 'mish', 'gelu');
    // User strings never reach Object.prototype.
    for (const a of ['constructor', '__proto__', 'toString']) {
      const p = built([{ type: 'dense', units: 3, activation: a, name: 'd1' }, { type: 'dense', units: 2 }]);
      expectEngineError(() => loadLayersModel(p.json, p.shards), 'unsupported_layer', "'d1'", a);
      const c = built([{ type: 'raw', className: a, name: 'x' }, { type: 'dense', units: 2 }]);
      expectEngineError(() => loadLayersModel(c.json, c.shards), 'unsupported_layer', "'x'", a);
    }
  });

  it('channels_first, bilinear upsampling, an axis other than the channels', () => {
    const conv: TinyLayer[] = [{ type: 'conv2d', filters: 1, kernelSize: 2, name: 'c' }, { type: 'flatten' }, { type: 'dense', units: 2 }];
    const b = built(conv, { inputShape: [4, 4, 1] });
    b.json.modelTopology.config.layers[0]!.config = { ...(b.json.modelTopology.config.layers[0]!.config as object), data_format: 'channels_first' };
    expectEngineError(() => loadLayersModel(b.json, b.shards), 'unsupported_layer', "'c'", 'channels_last');
    const up = built([{ type: 'raw', className: 'UpSampling2D', config: { size: [2, 2], interpolation: 'bilinear' }, name: 'u' }, { type: 'flatten' }, { type: 'dense', units: 2 }], { inputShape: [2, 2, 1] });
    expectEngineError(() => loadLayersModel(up.json, up.shards), 'unsupported_layer', "'u'", 'bilinear');
    const bn = built([{ type: 'batchNorm', name: 'bn' }, { type: 'flatten' }, { type: 'dense', units: 2 }], { inputShape: [2, 2, 1] });
    (bn.json.modelTopology.config.layers[0]!.config as Record<string, unknown>).axis = 1;
    expectEngineError(() => loadLayersModel(bn.json, bn.shards), 'unsupported_layer', "'bn'", 'axis 1');
  });

  it('a Functional graph with a cycle, an unknown input, a shared layer, or deep inbound nodes, naming the layer', () => {
    const cyc = built(MLP, { format: 'functional' });
    cyc.json.modelTopology.config.layers[1]!.inbound_nodes = [[['dense_1', 0, 0, {}]]];
    expectEngineError(() => loadLayersModel(cyc.json, cyc.shards), 'invalid_model', 'cycle');
    const unknown = built(MLP, { format: 'functional' });
    unknown.json.modelTopology.config.layers[2]!.inbound_nodes = [[['nowhere', 0, 0, {}]]];
    expectEngineError(() => loadLayersModel(unknown.json, unknown.shards), 'invalid_model', "'dense_1'", 'nowhere');
    const shared = built(MLP, { format: 'functional' });
    shared.json.modelTopology.config.layers[2]!.inbound_nodes = [[['dense', 0, 0, {}]], [['dense', 0, 0, {}]]];
    expectEngineError(() => loadLayersModel(shared.json, shared.shards), 'unsupported_layer', "'dense_1'", '2 calls');
    const deep = built(MLP, { format: 'functional' });
    // As text: JSON.stringify itself overflows the stack on such an object, JSON.parse does not.
    deep.json.modelTopology.config.layers[2]!.inbound_nodes = ['NEST'] as never;
    const text = JSON.stringify(deep.json).replace('"NEST"', `${'['.repeat(100_000)}["dense",0,0,{}]${']'.repeat(100_000)}`);
    expectEngineError(() => loadLayersModel(text, deep.shards), 'invalid_model', 'inbound_nodes', 'deep');
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
    const deep = built([...Array.from({ length: MAX_NODES }, (): TinyLayer => ({ type: 'dropout' })), { type: 'dense', units: 2 }]);
    expectEngineError(() => loadLayersModel(deep.json, deep.shards), 'limit_exceeded', `${MAX_NODES} layers`);
    const b = built();
    const padded = JSON.stringify(b.json) + ' '.repeat(MAX_MODEL_JSON_BYTES);
    expectEngineError(() => loadLayersModel(padded, b.shards), 'limit_exceeded', 'model.json');
    const big = built([{ type: 'maxPool', poolSize: 64 }, { type: 'flatten' }, { type: 'dense', units: 2 }], { inputShape: [513, 513, 1] });
    expectEngineError(() => loadLayersModel(big.json, big.shards), 'limit_exceeded', '512');
  });

  it('a model that does not end in class scores (Dense on an image keeps the image axes)', () => {
    const conv = built([{ type: 'conv2d', filters: 2, kernelSize: 2 }], { inputShape: [3, 3, 1] });
    expectEngineError(() => loadLayersModel(conv.json, conv.shards), 'invalid_model', 'class scores');
    const img = built([{ type: 'dense', units: 2, name: 'head' }], { inputShape: [3, 3, 1] });
    expectEngineError(() => loadLayersModel(img.json, img.shards), 'invalid_model', 'class scores', '[3,3,2]');
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
