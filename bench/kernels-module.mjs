// The conv input gradient of a kernels .wasm alone (not a test): on its own memory, no tfjs, best of 25, GFLOP/s on the
// LeNet and ResNet shapes, and a checksum of dx (equal checksums: equal sums). Compares builds, e.g. the plain module
// with the relaxed-SIMD one: node [--experimental-wasm-relaxed-simd] bench/kernels-module.mjs FILE.wasm
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const memory = new WebAssembly.Memory({ initial: 2000 });
const k = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(process.argv[2])), { env: { memory } }).exports;
const f = new Float32Array(memory.buffer);
for (let i = 0; i < f.length; i++) f[i] = Math.sin(i);
const cases = [
  ['lenet conv1', [128, 28, 28, 1], [5, 5, 1, 32], 1, 'valid'],
  ['lenet conv2', [128, 12, 12, 32], [5, 5, 32, 64], 1, 'valid'],
  ['resnet stem', [64, 32, 32, 3], [3, 3, 3, 16], 1, 'same'],
  ['resnet 16', [64, 16, 16, 16], [3, 3, 16, 16], 1, 'same'],
  ['resnet 32', [64, 8, 8, 32], [3, 3, 32, 32], 1, 'same'],
];
const out = [];
for (const [name, [N, H, W, Ci], [KH, KW, , Co], s, pad] of cases) {
  const Ho = pad === 'same' ? Math.ceil(H / s) : Math.floor((H - KH) / s) + 1;
  const Wo = pad === 'same' ? Math.ceil(W / s) : Math.floor((W - KW) / s) + 1;
  const pt = pad === 'same' ? Math.floor(Math.max(0, (Ho - 1) * s + KH - H) / 2) : 0;
  const pl = pad === 'same' ? Math.floor(Math.max(0, (Wo - 1) * s + KW - W) / 2) : 0;
  const dy = 4 * N * H * W * Ci;
  const w = dy + 4 * N * Ho * Wo * Co;
  let best = Infinity;
  for (let r = 0; r < 25; r++) {
    const t0 = performance.now();
    k.conv_input_grad(0, dy, w, N, H, W, Ci, Ho, Wo, Co, KH, KW, s, s, pt, pl);
    best = Math.min(best, performance.now() - t0);
  }
  let sum = 0;
  for (let i = 0; i < N * H * W * Ci; i++) sum += f[i] * (i % 7);
  out.push(`${name}: ${best.toFixed(2)} ms, ${((2 * N * Ho * Wo * Co * KH * KW * Ci) / best / 1e6).toFixed(1)} GFLOP/s, checksum ${sum.toPrecision(8)}`);
}
console.log(`${process.argv[2]} (loadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n${out.join('\n')}`);
