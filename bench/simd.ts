// Our SIMD kernels (src/engine/kernels) against the tfjs paths they replace (not a test): per kernel at the bench's
// batch (GFLOP/s, 2 FLOP per multiply-add) and PGD image-steps/s of whole models at 1 thread, off and on alternately.
// Run: node scripts/run-ts.mjs bench/simd.ts [kernels|pgd|all] [models=lenet,resnet] [seconds=3] [pairs=2] [batch]
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setSimdKernels, simdKernels } from '../src/engine/kernels';
import { convInputGrad } from '../src/engine/ops/conv';
import { depthwiseInputGrad } from '../src/engine/ops/depthwise';
import { maxPoolGrad } from '../src/engine/ops/pool-grad';
import { startNodeEngine } from '../src/runtime/node';
import { prepareRates } from './measure';
import type { ModelId } from './models';

const [what = 'all', models = 'lenet,resnet', seconds = '3', pairs = '2', batchArg] = process.argv.slice(2);
await startNodeEngine();
if (!simdKernels()) throw new Error('expected the SIMD kernels to start, got none');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Best of `reps` calls in ms (the least disturbed on a shared machine), after one warm-up. */
function best(f: () => tf.Tensor, reps = 7): number {
  tf.dispose(tf.tidy(f));
  let m = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = tf.tidy(f);
    m = Math.min(m, performance.now() - t0);
    tf.dispose(out);
  }
  return m;
}

/** Both paths of `f`, SIMD off then on. */
function both(f: () => tf.Tensor): [number, number] {
  setSimdKernels(false);
  const off = best(f);
  setSimdKernels(true);
  return [off, best(f)];
}

type Shape4 = [number, number, number, number];
// dx shape, filter, strides, pad: the input gradients of one PGD step of the LeNet (batch 128) and the ResNet (64).
const CONVS: Array<[string, Shape4, Shape4, number, 'valid' | 'same']> = [
  ['lenet conv1 (cin 1)', [128, 28, 28, 1], [5, 5, 1, 32], 1, 'valid'],
  ['lenet conv2', [128, 12, 12, 32], [5, 5, 32, 64], 1, 'valid'],
  ['resnet stem (cin 3)', [64, 32, 32, 3], [3, 3, 3, 16], 1, 'same'],
  ['resnet 3x3 16->16', [64, 16, 16, 16], [3, 3, 16, 16], 1, 'same'],
  ['resnet 3x3 16->32 stride 2', [64, 16, 16, 16], [3, 3, 16, 32], 2, 'same'],
  ['resnet 3x3 32->32', [64, 8, 8, 32], [3, 3, 32, 32], 1, 'same'],
];

if (what !== 'pgd') {
  console.log(`kernels, best of 7 (loadavg ${load()}):`);
  console.log('| kernel | shape (dx) | tfjs path | SIMD kernel |');
  console.log('|---|---|---|---|');
  for (const [label, xs, ws, s, pad] of CONVS) {
    const w = tf.randomNormal(ws, 0, 0.1) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.conv2d(tf.zeros(xs) as tf.Tensor4D, w, s, pad).shape) as tf.Tensor4D;
    const macs = dy.size * ws[0] * ws[1] * ws[2];
    const [off, on] = both(() => convInputGrad(dy, w, xs, { strides: [s, s], pad }));
    const g = (ms: number) => `${ms.toFixed(2)} ms, ${((2 * macs) / ms / 1e6).toFixed(1)} GFLOP/s`;
    console.log(`| conv input gradient, ${label} | ${xs} | ${g(off)} | ${g(on)} |`);
    tf.dispose([w, dy]);
  }
  // MobileNetV2's depthwise layers at batch 4 (dx shape, stride): 3x3, multiplier 1.
  for (const [xs, s] of [[[4, 112, 112, 96], 2], [[4, 56, 56, 144], 1], [[4, 28, 28, 192], 1], [[4, 14, 14, 384], 1], [[4, 7, 7, 960], 1]] as Array<[Shape4, number]>) {
    const w = tf.randomNormal([3, 3, xs[3], 1], 0, 0.1) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.depthwiseConv2d(tf.zeros(xs) as tf.Tensor4D, w, s, 'same').shape) as tf.Tensor4D;
    const [off, on] = both(() => depthwiseInputGrad(dy, w, xs, { strides: [s, s], pad: 'same' }));
    const g = (ms: number) => `${ms.toFixed(2)} ms, ${((2 * dy.size * 9) / ms / 1e6).toFixed(1)} GFLOP/s`;
    console.log(`| depthwise input gradient 3x3 stride ${s} | ${xs} | ${g(off)} | ${g(on)} |`);
    tf.dispose([w, dy]);
  }
  for (const xs of [[128, 24, 24, 32], [128, 8, 8, 64], [64, 32, 32, 16]] as Shape4[]) {
    const x = tf.randomNormal(xs) as tf.Tensor4D;
    const y = tf.maxPool(x, 2, 2, 'valid');
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const [off, on] = both(() => maxPoolGrad(dy, x, y, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' }));
    console.log(`| max-pool 2x2 gradient (JS heap loop vs SIMD) | ${xs} | ${off.toFixed(2)} ms | ${on.toFixed(2)} ms |`);
    tf.dispose([x, y, dy]);
  }
}

if (what !== 'kernels') {
  for (const id of models.split(',') as ModelId[]) {
    const b = batchArg ? Number(batchArg) : id === 'resnet' ? 64 : id === 'mobilenet' ? 4 : 128;
    const rates: Record<string, number[]> = { off: [], on: [] };
    for (let p = 0; p < Number(pairs); p++) {
      for (const on of [false, true]) {
        setSimdKernels(on);
        rates[on ? 'on' : 'off']!.push((await prepareRates(id, b, id === 'mobilenet' ? 2 : 10, Number(seconds)))().pgd);
      }
    }
    setSimdKernels(true);
    const f = (v: number[]) => v.map((r) => (r < 100 ? r.toFixed(2) : r.toFixed(0))).join(', ');
    console.log(`${id} PGD image-steps/s at batch ${b}, 1 thread, ${id === 'mobilenet' ? 2 : 10} steps: tfjs path ${f(rates.off!)}; SIMD kernels ${f(rates.on!)} (loadavg ${load()})`);
  }
}
