// Micro-benchmark (not a test): the example CNN at micro-batch 16 with conv + broadcast bias Add + Relu as separate
// kernels vs fused into FusedConv2D (ops/conv.ts `fused`), forward and dL/dx, interleaved runs; medians and bests.
// Run: node scripts/run-ts.mjs bench/fused.ts
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../src/runtime/node';
import { conv2d, dense, maxPool } from '../src/engine/ops';
import { batch } from '../src/engine/data/dataset';
import { loadModel, mnistSamples } from './measure';
await startNodeEngine();
const m = loadModel();
const W = m.weights as Record<string, tf.Tensor>;
const { x } = batch(mnistSamples(m, 16), 0, 16);
const net = (fused: boolean) => (xx: tf.Tensor4D) => {
  const cv = (h: tf.Tensor4D, n: string) => fused ? conv2d(h, W[`${n}/kernel`] as tf.Tensor4D, [1, 1], 'valid', { bias: W[`${n}/bias`] as tf.Tensor1D, activation: 'relu' })
    : tf.relu(tf.add(conv2d(h, W[`${n}/kernel`] as tf.Tensor4D, [1, 1], 'valid'), W[`${n}/bias`])) as tf.Tensor4D;
  let h = maxPool(cv(xx, 'conv2d_1'), [2, 2], [2, 2], 'valid');
  h = maxPool(cv(h, 'conv2d_2'), [2, 2], [2, 2], 'valid');
  const f = tf.reshape(h, [16, -1]) as tf.Tensor2D;
  return dense(tf.relu(dense(f, W['dense_1/kernel'] as tf.Tensor2D, W['dense_1/bias'] as tf.Tensor1D)) as tf.Tensor2D, W['dense_2/kernel'] as tf.Tensor2D, W['dense_2/bias'] as tf.Tensor1D);
};
const fw = (fused: boolean) => () => tf.tidy(() => void net(fused)(x).dataSync());
const gr = (fused: boolean) => () => tf.tidy(() => void tf.grad((a: tf.Tensor) => tf.sum(net(fused)(a as tf.Tensor4D)))(x).dataSync());
const acc: Record<string, number[]> = {};
for (let r = 0; r < 15; r++) for (const [k, f] of Object.entries({ fwdUnfused: fw(false), fwdFused: fw(true), gradUnfused: gr(false), gradFused: gr(true) })) {
  for (let i = 0; i < 5; i++) f();
  const t0 = performance.now(); for (let i = 0; i < 30; i++) f(); (acc[k] ??= []).push((performance.now() - t0) / 30);
}
const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1]!;
for (const [k, v] of Object.entries(acc)) console.log(k.padEnd(14), (1000 * med(v)).toFixed(0), 'us (median)', (1000 * Math.min(...v)).toFixed(0), 'us (best)');
const d = tf.tidy(() => tf.max(tf.abs(tf.sub(net(true)(x), net(false)(x)))).dataSync()[0]);
console.log('max |logit diff|', d);
