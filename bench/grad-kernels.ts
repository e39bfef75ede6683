// Where one PGD step's time goes, per tfjs kernel name (not a test): forward + input gradient of a bench model,
// each top-level kernel timed (wasm kernels are synchronous). Run: node scripts/run-ts.mjs bench/grad-kernels.ts
// [lenet|resnet|cnn|mobilenet] [batch] [reps]; BY_SHAPE=1 splits kernels by their first input's shape, SIMD=0 runs
// without our SIMD kernels (the tfjs paths).
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../src/engine/attacks/common';
import { batch } from '../src/engine/data/dataset';
import { setSimdKernels } from '../src/engine/kernels';
import { startNodeEngine } from '../src/runtime/node';
import { withKernelTimes } from './flops';
import { MODELS, loadBenchModel, type ModelId } from './models';

const id = (process.argv[2] ?? 'lenet') as ModelId;
const b = Number(process.argv[3] ?? (id === 'resnet' ? 64 : 128));
const reps = Number(process.argv[4] ?? 5);
await startNodeEngine();
if (process.env.SIMD === '0') setSimdKernels(false);
const model = loadBenchModel(id);
const { x, y } = batch(await MODELS[id].samples(model, b), 0, b);
const grad = tf.grad((xx: tf.Tensor) => tf.sum(crossEntropy(model.logits(xx as tf.Tensor4D), y)));
const step = () => tf.tidy(() => void grad(x).dataSync());
step();
const agg = new Map<string, { ms: number[]; calls: number }>();
let rep = 0;
const whole: number[] = [];
withKernelTimes(() => {
  for (rep = 0; rep < reps; rep++) {
    const t0 = performance.now();
    step();
    whole.push(performance.now() - t0);
  }
}, (name, inputs, ms) => {
  const key = process.env.BY_SHAPE ? `${name} ${JSON.stringify((inputs as Record<string, tf.Tensor>)[Object.keys(inputs as object)[0]!]?.shape)}` : name;
  const a = agg.get(key) ?? { ms: Array(reps).fill(0), calls: 0 };
  a.ms[rep] += ms;
  a.calls++;
  agg.set(key, a);
});
// Median over the reps per kernel: the least disturbed figure on a shared machine that still sums sensibly.
const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1]!;
const rows = [...agg].map(([k, a]) => ({ k, ms: med(a.ms), calls: a.calls / reps })).sort((p, q) => q.ms - p.ms);
const total = rows.reduce((s, r) => s + r.ms, 0);
console.log(`${id} batch ${b}: forward + input gradient ${med(whole).toFixed(1)} ms (median of ${reps}), kernels ${total.toFixed(1)} ms, ${(b * 1000 / med(whole)).toFixed(0)} image-steps/s; loadavg ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const r of rows) console.log(`${r.k.padEnd(28)} ${r.ms.toFixed(2).padStart(8)} ms ${(100 * r.ms / total).toFixed(1).padStart(5)} % ${String(r.calls).padStart(4)} calls`);
