#!/usr/bin/env node
// Checks the exported reference models against the official implementation: loads each test/fixtures/models/<name>/
// {float,uint8}/model.json with @tensorflow/tfjs-layers on the cpu backend and compares with reference.npz (PyTorch).
// Usage: node scripts/reference/check-tfjs.mjs [names...]; exits 1 when a difference exceeds the tolerance.
//
// Two comparisons per manifest, both as max |tfjs - torch| / max |torch| over the 64 x 10 outputs:
//   logits: the same model.json with the last Dense's activation set to 'linear', against PyTorch's logits;
//   probs:  the model.json as written (softmax), against softmax of PyTorch's logits.
// tfjs-layers 4.22 reads only the Keras 2 spelling, so a Keras 3 topology is first rewritten to it (keras3ToKeras2).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { unzipSync } from 'fflate';

const ROOT = 'test/fixtures/models';
const TOLERANCE = 1e-4;

/** The arrays of an .npz (little-endian float32 / int32 / int64 only, C order), as { dtype, shape, data }. */
function readNpz(path) {
  const out = {};
  for (const [file, bytes] of Object.entries(unzipSync(new Uint8Array(readFileSync(path))))) {
    const headerLen = bytes[8] | (bytes[9] << 8);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
    const descr = /'descr': '([^']+)'/.exec(header)[1];
    const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
    if (/'fortran_order': True/.test(header)) throw new Error(`${path}/${file}: expected C order`);
    const body = bytes.slice(10 + headerLen);
    const Ctor = { '<f4': Float32Array, '<i4': Int32Array }[descr];
    if (!Ctor) throw new Error(`${path}/${file}: expected <f4 or <i4, got ${descr}`);
    out[file.replace(/\.npy$/, '')] = { shape, data: new Ctor(body.buffer, body.byteOffset, body.byteLength / Ctor.BYTES_PER_ELEMENT) };
  }
  return out;
}

/** Keras 3 -> Keras 2 spelling: inbound_nodes as [[[name, node, tensor, {}]]], batch_shape as batch_input_shape, plain dtypes. */
function keras3ToKeras2(topology) {
  const strip = (v) => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    if (v.class_name === 'DTypePolicy') return v.config.name;
    const o = {};
    for (const [k, x] of Object.entries(v)) if (!['module', 'registered_name', 'build_config', 'compile_config'].includes(k)) o[k] = strip(x);
    return o;
  };
  const t = strip(topology);
  for (const layer of t.config.layers) {
    if (layer.config.batch_shape) {
      layer.config.batch_input_shape = layer.config.batch_shape;
      delete layer.config.batch_shape;
    }
    layer.inbound_nodes = layer.inbound_nodes.map((node) => {
      if (Array.isArray(node)) return node;
      const tensors = node.args.flat();
      return tensors.map((x) => [...x.config.keras_history, node.kwargs ?? {}]);
    });
  }
  return t;
}

function isKeras3(topology) {
  const layers = (topology.model_config ?? topology).config.layers;
  return layers.some((l) => l.inbound_nodes.some((n) => !Array.isArray(n)));
}

async function load(dir, { logits }) {
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  let topology = isKeras3(model.modelTopology) ? keras3ToKeras2(model.modelTopology) : structuredClone(model.modelTopology);
  const layers = (topology.model_config ?? topology).config.layers;
  if (logits) layers[layers.length - 1].config.activation = 'linear';
  const [group] = model.weightsManifest;
  const bytes = readFileSync(join(dir, group.paths[0]));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: group.weights, weightData }));
}

function softmax(rows, n) {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i += n) {
    const row = rows.subarray(i, i + n);
    const m = Math.max(...row);
    const e = Array.from(row, (v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => (out[i + j] = v / s));
  }
  return out;
}

function relDiff(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

await tf.setBackend('cpu');
const names = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(ROOT).sort();
let worst = 0;
for (const name of names) {
  const ref = readNpz(join(ROOT, name, 'reference.npz'));
  const x = tf.tensor(ref.x.data, ref.x.shape, 'float32');
  const classes = ref.logits_float.shape[1];
  for (const kind of ['float', 'uint8']) {
    const torchLogits = ref[`logits_${kind}`].data;
    const row = [];
    for (const logits of [true, false]) {
      const model = await load(join(ROOT, name, kind), { logits });
      const y = model.predict(x);
      const got = y.dataSync();
      const d = relDiff(got, logits ? torchLogits : softmax(torchLogits, classes));
      worst = Math.max(worst, d);
      row.push(`${logits ? 'logits' : 'probs'} ${d.toExponential(2)}`);
      if (logits) {
        const agree = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(y, 1), tf.tensor(ref.y.data, ref.y.shape, 'int32')), 'int32')).dataSync()[0]);
        row.push(`correct ${agree}/${ref.y.shape[0]}`);
      }
      y.dispose();
      model.dispose();
    }
    console.log(`${name.padEnd(16)} ${kind.padEnd(5)} ${row.join(', ')}`);
  }
  x.dispose();
}
console.log(`worst relative difference ${worst.toExponential(2)} (tolerance ${TOLERANCE})`);
process.exit(worst <= TOLERANCE ? 0 : 1);
