// Property check (not in CI) of the two attacks torchattacks lacks, on the shipped MNIST example CNN:
// DIVA against PGD on the 2-bit twin (the rate of "twin wrong, float right" must be at least PGD's), and
// HopSkipJump's published behaviour (its points stay adversarial; the median distance shrinks as the budget grows).
// Usage: node scripts/run-ts.mjs scripts/compare/properties.ts [--limit 64] [--hsj 16] [--bits 2]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../../src/runtime/node';
import { loadBuiltinMnist } from '../../src/data/mnist.node';
import { batch, fitToModel, take } from '../../src/engine/data/dataset';
import { loadLayersModel } from '../../src/engine/model';
import { runAttack } from '../../src/engine/attacks';
import { HopSkipJump } from '../../src/engine/attacks/hsj';
import type { Classifier, Norm } from '../../src/engine/types';

const { values } = parseArgs({ options: {
  limit: { type: 'string', default: '64' }, hsj: { type: 'string', default: '16' }, bits: { type: 'string', default: '2' },
  model: { type: 'string', default: 'examples/mnist-cnn' },
} });
await startNodeEngine();
const model = loadLayersModel(JSON.parse(readFileSync(`${values.model}/model.json`, 'utf8')), new Map([['weights.bin', new Uint8Array(readFileSync(`${values.model}/weights.bin`))]]));
const twin = model.quantize(Number(values.bits));
const data = take(fitToModel(loadBuiltinMnist().test, model.inputShape, model.numClasses), Number(values.limit));
const n = data.shape[0];

const predict = (m: Classifier, x: tf.Tensor4D) => tf.tidy(() => Array.from(tf.argMax(m.logits(x), 1).dataSync()));

console.log(`DIVA vs PGD on w${values.bits} of ${values.model}, ${n} samples: fraction with the twin wrong and the float model right`);
console.log('| norm | eps | PGD on the twin | DIVA |\n|---|---|---|---|');
for (const [norm, epsilons] of [['linf', [0.05, 0.1, 0.2]], ['l2', [1, 2]]] as [Norm, number[]][]) {
  const rate = { pgd: new Array<number>(epsilons.length).fill(0), diva: new Array<number>(epsilons.length).fill(0) };
  for (let s = 0; s < n; s += 16) {
    const e = Math.min(s + 16, n);
    const { x, y } = batch(data, s, e);
    const labels = Array.from(y.dataSync());
    const opts = { norm, epsilons, seed: 0, indices: Array.from({ length: e - s }, (_, i) => s + i), keep: e - s, source: model };
    for (const name of ['pgd', 'diva'] as const) {
      runAttack({ name }, twin, x, y, opts).forEach((r, i) => {
        const adv = tf.tensor4d(r.examples!, x.shape);
        const [pq, pf] = [predict(twin, adv), predict(model, adv)];
        adv.dispose();
        rate[name][i]! += labels.filter((l, k) => pq[k] !== l && pf[k] === l).length;
      });
    }
    tf.dispose([x, y]);
  }
  epsilons.forEach((eps, i) => console.log(`| ${norm} | ${eps} | ${(100 * rate.pgd[i]! / n).toFixed(1)}% | ${(100 * rate.diva[i]! / n).toFixed(1)}% |`));
}

const m = Math.min(Number(values.hsj), n);
console.log(`\nHopSkipJump on ${values.model}, first ${m} samples (eps ~ 0: the whole budget shrinks the distance)`);
console.log('| norm | budget | adversarial | median distance | mean queries |\n|---|---|---|---|---|');
const { x, y } = batch(data, 0, m);
const labels = Array.from(y.dataSync());
const xs = x.dataSync() as Float32Array;
for (const norm of ['linf', 'l2'] as Norm[]) {
  for (const queries of [200, 500, 1000]) {
    const out = new HopSkipJump({ queries }).run(model, x, y, 1e-9, { norm, seed: 0, indices: labels.map((_, i) => i), eot: 1 }) as { adv: tf.Tensor4D; queries: Int32Array };
    const pred = predict(model, out.adv);
    const a = out.adv.dataSync() as Float32Array;
    const per = a.length / m;
    const dist = labels.map((_, i) => {
      let r = 0;
      for (let k = i * per; k < (i + 1) * per; k++) r = norm === 'linf' ? Math.max(r, Math.abs(a[k]! - xs[k]!)) : r + (a[k]! - xs[k]!) ** 2;
      return norm === 'linf' ? r : Math.sqrt(r);
    });
    const moved = labels.map((_, i) => i).filter((i) => dist[i]! > 0);
    const adversarial = moved.filter((i) => pred[i] !== labels[i]).length;
    const med = moved.map((i) => dist[i]!).sort((p, q) => p - q)[Math.floor(moved.length / 2)] ?? NaN;
    const meanQ = Array.from(out.queries).reduce((p, q) => p + q, 0) / m;
    console.log(`| ${norm} | ${queries} | ${adversarial} / ${moved.length} | ${med.toFixed(3)} | ${meanQ.toFixed(0)} |`);
    out.adv.dispose();
  }
}
