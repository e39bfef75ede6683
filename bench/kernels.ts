// Benchmark (not a test): stock wasm gradient kernels vs ours on a LeNet-like CNN at batch 128.
// Run: npx esbuild bench/kernels.ts --bundle --platform=node --format=esm --outfile=/tmp/kernels.mjs \
//   --banner:js="import {createRequire} from 'module';const require=createRequire(import.meta.url);" && node /tmp/kernels.mjs
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createRequire as nodeRequire } from 'node:module';
import { initEngine } from '../src/engine/backend';
import * as ops from '../src/engine/ops/index';
import { convFilterGrad, convInputGrad } from '../src/engine/ops/conv';
import { avgPoolGrad, maxPoolGrad } from '../src/engine/ops/pool-grad';
import { selfTest } from '../src/engine/selftest';

const N = 128;
const REPS = Number(process.env.REPS ?? 5);

/**
 * Best wall time of `f` over REPS runs, in ms: the least disturbed by other processes on a shared
 * machine (wasm kernels are synchronous, so no readback is needed).
 */
function ms(f: () => tf.TensorContainer): number {
  // In a tidy, as the engine runs gradient functions: leaked intermediates would grow the wasm heap.
  tf.dispose(tf.tidy(f));
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    const out = tf.tidy(f);
    times.push(performance.now() - t0);
    tf.dispose(out);
  }
  return Math.min(...times);
}

function row(name: string, stock: (() => tf.TensorContainer) | string, ours: () => tf.TensorContainer): void {
  const s = typeof stock === 'string' ? stock : `${ms(stock).toFixed(1)} ms`;
  const o = ms(ours);
  console.log(`| ${name} | ${s} | ${o.toFixed(1)} ms |`);
}

type Shape4 = [number, number, number, number];

function convRows(label: string, xShape: Shape4, wShape: Shape4): void {
  const x = tf.randomNormal(xShape) as tf.Tensor4D;
  const w = tf.randomNormal(wShape, 0, 0.1) as tf.Tensor4D;
  const dy = tf.randomNormal(tf.conv2d(x, w, 1, 'valid').shape) as tf.Tensor4D;
  const attrs = { strides: [1, 1], pad: 'valid' };
  row(`${label} dL/dx`, () => tf.conv2dTranspose(dy, w, x.shape, 1, 'valid'), () => convInputGrad(dy, w, x.shape, attrs));
  row(`${label} dL/dW`, 'missing on wasm', () => convFilterGrad(x, dy, w.shape, attrs));
  tf.dispose([x, w, dy]);
}

function poolRows(label: string, xShape: Shape4): void {
  const x = tf.randomNormal(xShape) as tf.Tensor4D;
  const y = tf.maxPool(x, 2, 2, 'valid');
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
  const stockMax = () => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs);
  row(`${label} maxPool dL/dx`, stockMax, () => maxPoolGrad(dy, x, y, attrs));
  const stockAvg = () => tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, attrs);
  row(`${label} avgPool dL/dx`, stockAvg, () => avgPoolGrad(dy, x.shape, attrs));
  tf.dispose([x, y, dy]);
}

function denseRows(label: string, nIn: number, nOut: number): void {
  const x = tf.randomNormal([N, nIn]) as tf.Tensor2D;
  const w = tf.randomNormal([nIn, nOut]) as tf.Tensor2D;
  const dy = tf.randomNormal([N, nOut]) as tf.Tensor2D;
  row(`${label} dL/dx`, () => tf.matMul(dy, w, false, true), () => tf.tidy(() => tf.matMul(dy, tf.transpose(w))));
  row(`${label} dL/dW`, () => tf.matMul(x, dy, true, false), () => tf.tidy(() => tf.matMul(tf.transpose(x), dy)));
  tf.dispose([x, w, dy]);
}

type Layers = {
  conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;
  pool: (x: tf.Tensor4D) => tf.Tensor4D;
  dense: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
};
const stockLayers: Layers = {
  conv: (x, w) => tf.conv2d(x, w, 1, 'valid'),
  pool: (x) => tf.maxPool(x, 2, 2, 'valid'),
  dense: (x, w, b) => tf.add(tf.matMul(x, w), b) as tf.Tensor2D,
};
const ourLayers: Layers = {
  conv: (x, w) => ops.conv2d(x, w, [1, 1], 'valid'),
  pool: (x) => ops.maxPool(x, [2, 2], [2, 2], 'valid'),
  dense: (x, w, b) => ops.dense(x, w, b),
};

/** LeNet-like: conv5x5x32 - pool2 - conv5x5x64 - pool2 - dense 1024->128 - dense 128->10. */
function lenet(p: tf.Tensor[], l: Layers, x: tf.Tensor4D): tf.Tensor2D {
  const [w1, w2, w3, b3, w4, b4] = p;
  const h1 = l.pool(tf.relu(l.conv(x, w1 as tf.Tensor4D)));
  const h2 = l.pool(tf.relu(l.conv(h1, w2 as tf.Tensor4D)));
  const h3 = tf.relu(l.dense(tf.reshape(h2, [x.shape[0], 1024]), w3 as tf.Tensor2D, b3 as tf.Tensor1D));
  return l.dense(h3, w4 as tf.Tensor2D, b4 as tf.Tensor1D);
}

function modelRows(): void {
  const p = [[5, 5, 1, 32], [5, 5, 32, 64], [1024, 128], [128], [128, 10], [10]].map((s) =>
    tf.variable(tf.randomNormal(s, 0, 0.1)),
  );
  const x = tf.randomUniform([N, 28, 28, 1]) as tf.Tensor4D;
  const labels = tf.oneHot(tf.randomUniform([N], 0, 10, 'int32') as tf.Tensor1D, 10);
  const fgsm = (l: Layers) => () =>
    tf.tidy(() => {
      const g = tf.grad((xx: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, lenet(p, l, xx as tf.Tensor4D)))(x);
      return tf.clipByValue(tf.add(x, tf.mul(0.1, tf.sign(g))), 0, 1);
    });
  const train = (l: Layers) => () =>
    tf.tidy(() => Object.values(tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, lenet(p, l, x)) as tf.Scalar).grads));
  const rate = (t: number) => `${Math.round((N * 1000) / t)} img/s (${t.toFixed(0)} ms)`;
  const fwd = ms(() => lenet(p, ourLayers, x));
  console.log(`| forward | ${rate(ms(() => lenet(p, stockLayers, x)))} | ${rate(fwd)} |`);
  console.log(`| FGSM (grad w.r.t. x) | ${rate(ms(fgsm(stockLayers)))} | ${rate(ms(fgsm(ourLayers)))} |`);
  console.log(`| train step (grads w.r.t. all weights) | fails: Conv2DBackpropFilter missing | ${rate(ms(train(ourLayers)))} |`);
  tf.dispose([...p, x, labels]);
}

async function main(): Promise<void> {
  // The emscripten loader takes its Node branch and reads these free variables, absent in ESM.
  Object.assign(globalThis, { __dirname: '.', __filename: './kernels.mjs' });
  // Resolved from the working directory (the repo root), as the bundle may live elsewhere.
  const require = nodeRequire(`${process.cwd()}/`);
  const wasm = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
  await initEngine(await WebAssembly.compile(readFileSync(wasm)));
  console.log(`batch ${N}, best of ${REPS} runs, tfjs ${tf.version_core}, backend ${tf.getBackend()}\n`);
  console.log('| gradient | stock wasm | ours |\n|---|---|---|');
  convRows('conv1 28x28x1 -> 5x5x32', [N, 28, 28, 1], [5, 5, 1, 32]);
  poolRows('pool1 24x24x32', [N, 24, 24, 32]);
  convRows('conv2 12x12x32 -> 5x5x64', [N, 12, 12, 32], [5, 5, 32, 64]);
  poolRows('pool2 8x8x64', [N, 8, 8, 64]);
  denseRows('dense 1024->128', 1024, 128);
  denseRows('dense 128->10', 128, 10);
  modelRows();
  console.log(`\nselfTest: ${ms(() => selfTest()).toFixed(2)} ms`);
}

void main();
