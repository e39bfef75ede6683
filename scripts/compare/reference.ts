// Agreement on the reference models (not in CI): the engine's clean, FGSM and PGD-40 accuracies on the whole test
// split of each model in test/fixtures/models (ResNet- and MobileNetV2-style, float and uint8) against the
// torchattacks numbers committed beside it (scripts/reference/attacks.py). Writes docs/agreement-reference.md.
//   node scripts/run-ts.mjs scripts/compare/reference.ts [--variants float,uint8,onnx] [resnet-mnist ...]
// Rows of models or variants not run are kept from the committed doc.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../../src/runtime/node';
import { builtinMnist } from '../../src/data/mnist.node';
import { batch } from '../../src/engine/data/dataset';
import type { Dataset } from '../../src/engine/data/types';
import { loadLayersModel, loadOnnxModel, type Model } from '../../src/engine/model';
import { runAttack } from '../../src/engine/attacks';
import type { AttackName } from '../../src/engine/attacks/types';
import { colourMnist } from '../reference/colour';

const ALL_MODELS = ['resnet-mnist', 'mobilenet-mnist', 'resnet-rgb32', 'mobilenet-rgb32'];
const ALL_VARIANTS = ['float', 'uint8', 'onnx'] as const;
const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { variants: { type: 'string', default: ALL_VARIANTS.join(',') } } });
const MODELS = positionals.length ? positionals : ALL_MODELS;
const VARIANTS = ALL_VARIANTS.filter((v) => opts.variants!.split(',').includes(v));
const FGSM_TOLERANCE = 0.015;
const PGD_TOLERANCE = 0.025;

await startNodeEngine();

function load(name: string, enc: string): Model {
  const dir = `test/fixtures/models/${name}/${enc}`;
  const json = JSON.parse(readFileSync(`${dir}/model.json`, 'utf8'));
  const shards = new Map<string, Uint8Array>(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths).map((p: string) => [p, new Uint8Array(readFileSync(`${dir}/${p}`))]));
  return loadLayersModel(json, shards);
}

function accuracy(model: Model, data: Dataset, name: AttackName, epsilons: number[], pgd: { steps: number; alpha: number }): number[] {
  const n = data.shape[0];
  const correct = epsilons.map(() => 0);
  for (let s = 0; s < n; s += 100) {
    const e = Math.min(n, s + 100);
    const { x, y } = batch(data, s, e);
    const res = runAttack({ name, steps: pgd.steps, stepSize: pgd.alpha }, model, x, y, { norm: 'linf', epsilons, seed: 0, indices: Array.from({ length: e - s }, (_, i) => s + i) });
    res.forEach((r, k) => (correct[k] += r.correct.reduce((a, b) => a + b, 0)));
    tf.dispose([x, y]);
  }
  return correct.map((c) => c / n);
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
/** Rows by `model|weights`: those of the committed doc, replaced by this run's (a run may cover a subset). */
const DOC = 'docs/agreement-reference.md';
const rowsByKey = new Map<string, string>();
if (existsSync(DOC)) {
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const m = /^\| ([a-z0-9-]+) \| (float|uint8|onnx) \| /.exec(line);
    if (m) rowsByKey.set(`${m[1]}|${m[2]}`, line);
  }
}
for (const name of MODELS) {
  const want = JSON.parse(readFileSync(`test/fixtures/models/${name}/torchattacks.json`, 'utf8'));
  const grey = builtinMnist('mnist-test');
  const data = name.endsWith('rgb32') ? colourMnist(grey) : grey;
  const eps: number[] = want.settings.eps;
  const pgd = { steps: want.settings.pgd.steps, alpha: want.settings.pgd.alpha };
  // The Layers files (float, uint8) and the ONNX export of the float model (compared with torchattacks' float run).
  for (const variant of VARIANTS) {
    const enc = variant === 'onnx' ? 'float' : variant;
    const model = variant === 'onnx' ? loadOnnxModel(new Uint8Array(readFileSync(`test/fixtures/models/${name}/onnx/model.onnx`))) : load(name, enc);
    const t0 = Date.now();
    const fgsm = accuracy(model, data, 'fgsm', [0, ...eps], pgd);
    const pg = accuracy(model, data, 'pgd', eps, pgd);
    model.dispose();
    const cells = [`clean ${pct(fgsm[0]!)} / ${pct(want[enc].clean)}`];
    eps.forEach((e, i) => {
      cells.push(`FGSM@${e} ${pct(fgsm[i + 1]!)} / ${pct(want[enc].fgsm[String(e)])}`, `PGD@${e} ${pct(pg[i]!)} / ${pct(want[enc].pgd[String(e)])}`);
    });
    rowsByKey.set(`${name}|${variant}`, `| ${name} | ${variant} | ${cells.join(' · ')} |`);
    console.log(name, variant, `${((Date.now() - t0) / 1000).toFixed(0)} s`, cells.join(', '));
  }
}

const rows = ALL_MODELS.flatMap((m) => ALL_VARIANTS.map((v) => rowsByKey.get(`${m}|${v}`)).filter((r): r is string => r !== undefined));
/** Largest |engine - torchattacks| over every cell of every row, relative to its target (FGSM 1.5, PGD 2.5 points). */
const worst = Math.max(0, ...rows.flatMap((r) => [...r.matchAll(/(FGSM|PGD)@[0-9.]+ ([0-9.]+)% \/ ([0-9.]+)%/g)]
  .map((c) => Math.abs(Number(c[2]) - Number(c[3])) / 100 / (c[1] === 'FGSM' ? FGSM_TOLERANCE : PGD_TOLERANCE))));

const doc = `# Agreement on the reference models

Engine / torchattacks 3.5.1 (PyTorch 1.13) accuracies on the whole built-in MNIST test split (2004 samples; the
colour models on its 32x32x3 version, \`scripts/reference/colour.ts\`), for the ResNet- and MobileNetV2-style models
of \`test/fixtures/models\` (trained in PyTorch, exported as tfjs Layers Functional models; \`scripts/reference\`),
with their float32 and their uint8 (tensorflowjs_converter \`--quantize_uint8\`) weights, and the float model as
PyTorch users deploy it: exported by \`torch.onnx.export\` (row \`onnx\`, NCHW graph, compared with the float run). FGSM, and PGD L-inf with
40 steps of 0.01 from a random start, cross-entropy on logits (the files' final softmax is removed by the engine).
Each cell is engine / torchattacks. Targets: FGSM within ${100 * FGSM_TOLERANCE} points, PGD within ${100 * PGD_TOLERANCE}
(PGD's random starts are drawn by different generators). Regenerate with
\`node scripts/run-ts.mjs scripts/compare/reference.ts\`; the test suite checks logits and FGSM
(test/models/reference.test.ts).

| model | weights | accuracies (engine / torchattacks) |
|---|---|---|
${rows.join('\n')}

Largest difference relative to its target: ${worst.toFixed(2)} (1 = at the target).
`;
writeFileSync('docs/agreement-reference.md', doc);
console.log(worst <= 1 ? 'all within the targets' : `OUTSIDE the targets: ${worst.toFixed(2)}`);
