// ONNX import against onnxruntime-node (Node only, so not under test/engine/, which workerd also runs): logits of
// torch-exported float models and their int8/uint8 QDQ rewrites (scripts/onnx/make_fixtures.py) to 1e-4 relative,
// and hostile files (scripts/onnx/make_hostile.py) refused with a clear EngineError.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../wasm';
import { initEngine } from '../../src/engine/backend';
import { createHash } from 'node:crypto';
import { loadModel, loadOnnxModel, saveLayersModel, loadLayersModel, ONNX_FILE, SHARD_NAME } from '../../src/engine/model';
import { modelDigest } from '../../src/storage/digest';
import { readModelFiles } from '../../src/cli/files';
import { expectEngineError, inputs, logitsOf } from '../engine/model/common';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url)));

beforeAll(async () => initEngine(await loadWasm()));

const N = 4;
const HW = 16;

/** NHWC images -> onnxruntime's NCHW output (no graph optimizations: the QDQ ops run as written). */
async function reference(name: string, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(fixture(name), { graphOptimizationLevel: 'disabled' });
  const nchw = new Float32Array(x.length);
  for (let n = 0; n < N; n++) for (let h = 0; h < HW; h++) for (let w = 0; w < HW; w++) for (let c = 0; c < 3; c++) {
    nchw[((n * 3 + c) * HW + h) * HW + w] = x[((n * HW + h) * HW + w) * 3 + c]!;
  }
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', nchw, [N, 3, HW, HW]) });
  return out[s.outputNames[0]!]!.data as Float32Array;
}

function expectRelClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(...Array.from(want, Math.abs), 1e-6);
  const err = Math.max(...Array.from(want, (w, i) => Math.abs(got[i]! - w)));
  expect(err / scale, `max |engine - onnxruntime| = ${err}, max |onnxruntime| = ${scale}`).toBeLessThanOrEqual(tol);
}

const softmax = (x: Float32Array) => tf.tidy(() => tf.softmax(tf.tensor2d(x, [N, x.length / N])).dataSync() as Float32Array);

describe('ONNX models against onnxruntime', () => {
  const cases: [string, string | null, number][] = [
    ['resnet.onnx', null, 0], ['mobilenetv2.onnx', null, 0], ['mixed.onnx', null, 0],
    ['resnet-int8-channel.onnx', 'int8', 8], ['resnet-uint8-tensor.onnx', 'uint8', 8],
    ['mobilenetv2-int8-tensor.onnx', 'int8', 8], ['mobilenetv2-uint8-channel.onnx', 'uint8', 8], ['mixed-int8-channel.onnx', 'int8', 8],
  ];
  for (const [name, stored, bits] of cases) {
    it(`${name}: logits to 1e-4 relative${stored ? `, kernels reported as ${stored}` : ''}`, async () => {
      const before = tf.memory().numTensors;
      const model = loadOnnxModel(fixture(name));
      expect(model.inputShape).toEqual([HW, HW, 3]);
      const x = inputs(N, model.inputShape, 11, 0, 1);
      const got = logitsOf(model, x, N);
      const want = await reference(name, x);
      // mixed ends in a softmax, which the engine removes so that attacks see logits.
      expectRelClose(model.summary.removedSoftmax ? softmax(got) : got, want, 1e-4);
      const kernels = model.summary.weights.filter((w) => /kernel$/.test(w.name));
      expect(kernels.length).toBeGreaterThan(0);
      for (const k of kernels) expect(k.storedAs).toBe(stored ?? 'float32');
      if (bits) expect(model.summary.bits).toBeLessThanOrEqual(bits);
      else expect(model.summary.bits).toBeNull();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('activation QDQ runs as fake quantization, with a straight-through gradient', async () => {
    const model = loadOnnxModel(fixture('resnet-qdq-activations.onnx'));
    expect(model.graph.nodes.filter((n) => n.op.type === 'fakeQuant').length).toBeGreaterThan(0);
    const x = inputs(N, model.inputShape, 11, 0, 1);
    // A value next to a rounding boundary may land one step away in either runtime: compare with a looser bound.
    expectRelClose(logitsOf(model, x, N), await reference('resnet-qdq-activations.onnx', x), 2e-2);
    const g = tf.tidy(() => tf.sum(tf.abs(tf.grad((t: tf.Tensor) => tf.sum(model.logits(t as tf.Tensor4D)))(tf.tensor4d(x, [N, HW, HW, 3])))).dataSync()[0]!);
    expect(g).toBeGreaterThan(0);
    model.dispose();
  });

  it('a retrained ONNX model saves as a tfjs Layers model that loads to the same logits', () => {
    const model = loadOnnxModel(fixture('resnet-int8-channel.onnx'));
    const saved = saveLayersModel(model, { weights: 'float32' });
    const again = loadLayersModel(saved.json, new Map([[SHARD_NAME, saved.weights]]));
    const x = inputs(2, model.inputShape, 3, 0, 1);
    const a = logitsOf(model, x, 2), b = logitsOf(again, x, 2);
    expectRelClose(b, a, 1e-5);
    model.dispose();
    again.dispose();
  });
});

describe('.onnx wherever a model goes', () => {
  it('qaudit audit --model x.onnx reads the file itself: its id is sha256sum of the file, its logits loadOnnxModel\'s', async () => {
    const path = fileURLToPath(new URL('../fixtures/onnx/mobilenetv2-int8-tensor.onnx', import.meta.url));
    const files = await readModelFiles(path);
    expect([...files.shards.keys()]).toEqual([ONNX_FILE]);
    expect(await modelDigest(files.jsonBytes, [...files.shards.values()])).toBe(createHash('sha256').update(fixture('mobilenetv2-int8-tensor.onnx')).digest('hex'));
    const a = loadModel(files.json, files.shards);
    const b = loadOnnxModel(fixture('mobilenetv2-int8-tensor.onnx'));
    const x = inputs(2, b.inputShape, 5, 0, 1);
    expect(logitsOf(a, x, 2)).toEqual(logitsOf(b, x, 2));
    expect(a.summary.weights.map((w) => w.storedAs)).toEqual(b.summary.weights.map((w) => w.storedAs));
    a.dispose();
    b.dispose();
  });

  it('activation QDQ and external data come along: the deployed arithmetic, read from the model\'s folder', async () => {
    const qdq = await readModelFiles(fileURLToPath(new URL('../fixtures/onnx/resnet-qdq-activations.onnx', import.meta.url)));
    const m = loadModel(qdq.json, qdq.shards);
    expect(m.graph.nodes.some((n) => n.op.type === 'fakeQuant')).toBe(true);
    m.dispose();
    const ext = await readModelFiles(fileURLToPath(new URL('../fixtures/onnx/external/resnet-int8-channel.onnx', import.meta.url)));
    expect([...ext.shards.keys()]).toEqual([ONNX_FILE, 'resnet-int8-channel.data']);
    const a = loadModel(ext.json, ext.shards);
    const b = loadOnnxModel(fixture('resnet-int8-channel.onnx'));
    const x = inputs(2, b.inputShape, 7, 0, 1);
    expect(logitsOf(a, x, 2)).toEqual(logitsOf(b, x, 2));
    a.dispose();
    b.dispose();
  });
});

describe('hostile ONNX files', () => {
  const hostile = (n: string) => fixture(`hostile/${n}.onnx`);
  it('a well-formed tiny model loads (the hostile ones differ from it in one place)', () => {
    loadOnnxModel(hostile('ok')).dispose();
  });
  it('truncated protobuf', () => {
    const b = fixture('resnet.onnx');
    expectEngineError(() => loadOnnxModel(b.subarray(0, Math.floor(b.length / 2))), 'invalid_model', 'expected an ONNX model');
  });
  it('not protobuf at all', () => expectEngineError(() => loadOnnxModel(new TextEncoder().encode('{"format": "layers-model"}')), 'invalid_model'));
  it('unknown op, named, with the supported list', () => expectEngineError(() => loadOnnxModel(hostile('unknown-op')), 'unsupported_layer', "node 'gelu' of op Gelu", 'Conv, '));
  it('cycle', () => expectEngineError(() => loadOnnxModel(hostile('cycle')), 'invalid_model', 'cycle through node'));
  it('huge declared dims', () => expectEngineError(() => loadOnnxModel(hostile('huge-dims')), 'limit_exceeded', "initializer 'w'"));
  it('external data outside the upload', () => expectEngineError(() => loadOnnxModel(hostile('external-escape')), 'invalid_model', '../../etc/passwd'));
  it('external data missing from the upload', () => {
    const files = new Map([['etc/passwd', new Uint8Array(4 * 480)]]);
    expectEngineError(() => loadOnnxModel(hostile('external-escape'), { files }), 'invalid_model', '../../etc/passwd');
  });
  it('tensor data size disagreeing with its shape', () => expectEngineError(() => loadOnnxModel(hostile('size-mismatch')), 'invalid_model', "expected 1920 bytes of data for initializer 'w'", 'got 1916'));
});
