// MobileNetV2 (the nsfwjs fixture, 224x224x3) forward and input-gradient time per image on this thread (not a test).
// Run: node scripts/run-ts.mjs bench/mobilenet.ts [reps] [batch] [profile|-] [unfused]
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../src/runtime/node';
import { loadLayersModel } from '../src/engine/model/load';
import { forward } from '../src/engine/model/execute';
await startNodeEngine();
const dir = 'test/fixtures/models/nsfwjs-mobilenet-v2';
const model = loadLayersModel(readFileSync(`${dir}/model.json`, 'utf8'), new Map([['group1-shard1of1.bin', new Uint8Array(readFileSync(`${dir}/group1-shard1of1.bin`))]]));
const reps = Number(process.argv[2] ?? 3);
const batch = Number(process.argv[3] ?? 1);
const x = tf.randomUniform([batch, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const fuse = process.argv[5] !== 'unfused';
const logits = (v: tf.Tensor) => tf.tidy(() => forward(model.graph, model.weights, v as tf.Tensor4D, fuse));
const loss = (v: tf.Tensor) => tf.sum(tf.mul(logits(v), tf.oneHot(tf.zeros([batch], 'int32'), model.numClasses)));
const grad = tf.grad(loss);
// CPU time of this process, not wall time: on a shared machine the wall clock mostly measures other processes.
const time = (f: () => tf.Tensor): number => {
  const t0 = process.cpuUsage();
  const r = f();
  r.dataSync();
  r.dispose();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
};
time(() => logits(x)); time(() => grad(x));
let fwd = Infinity, bwd = Infinity;
for (let i = 0; i < reps; i++) { fwd = Math.min(fwd, time(() => logits(x))); bwd = Math.min(bwd, time(() => grad(x))); }
const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
console.log(`forward ${(fwd / batch).toFixed(0)} cpu-ms/image, input gradient ${(bwd / batch).toFixed(0)} cpu-ms/image, wasm heap ${(heap / 2 ** 20).toFixed(0)} MB, tensors ${tf.memory().numTensors}`);
if (process.argv[4] === 'profile') {
  const p = await tf.profile(() => grad(x));
  const agg = new Map<string, [number, number]>();
  for (const k of p.kernels) { const a = agg.get(k.name) ?? [0, 0]; a[0] += k.kernelTimeMs as number; a[1]++; agg.set(k.name, a); }
  for (const [k, [t, n]] of [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 16)) console.log(`${k.padEnd(28)} ${t.toFixed(0).padStart(6)} ms ${String(n).padStart(5)} calls`);
}
