// Agreement check (not in CI): the engine's attacks on the example CNN against PyTorch + torchattacks on the same
// weights and inputs (FGSM, PGD and PGD-L2, APGD-CE / APGD-DLR / APGD-T at L-inf and APGD-L2, CW-PGD, Square at
// L-inf and L2). Writes docs/agreement.md. Needs Debian's python3-torch (apt-get install python3-torch
// python3-scipy) and torchattacks on PYTHONPATH (TORCHATTACKS_PATH=/path/containing/torchattacks). Usage:
//   node scripts/run-ts.mjs scripts/compare/agreement.ts [--limit 2004] [--only apgd-t:linf,square:l2]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../../src/runtime/node';
import { loadBuiltinMnist } from '../../src/data/mnist.node';
import { batch, fitToModel, take } from '../../src/engine/data/dataset';
import { writeNpz } from '../../src/engine/data/npz';
import { loadLayersModel } from '../../src/engine/model';
import { runAttack } from '../../src/engine/attacks';
import type { AttackName, AttackSpec } from '../../src/engine/attacks/types';
import type { Norm } from '../../src/engine/types';

const { values } = parseArgs({ options: {
  limit: { type: 'string', default: '2004' }, model: { type: 'string', default: 'examples/mnist-cnn' }, only: { type: 'string' },
} });
// torchattacks' Square runs n_queries iterations after its clean check and initialisation; the engine's budget
// counts those two, so the engine gets 2 more to run the same number of iterations.
const settings = { steps: 40, stepSize: 0.01, apgdSteps: 100, squareQueries: 1000, seed: 0, threads: 1 };
const TOLERANCE = 0.015;

const ALL: [AttackName, Norm, number[]][] = [
  ['fgsm', 'linf', [0.05, 0.1, 0.2, 0.3]],
  ['pgd', 'linf', [0.05, 0.1, 0.2, 0.3]],
  ['apgd', 'linf', [0.1, 0.2]],
  ['apgd-dlr', 'linf', [0.1, 0.2]],
  ['apgd-t', 'linf', [0.1, 0.2]],
  ['cw', 'linf', [0.1, 0.2]],
  ['square', 'linf', [0.1, 0.2]],
  ['pgd', 'l2', [1, 2]],
  ['apgd', 'l2', [1, 2]],
  ['square', 'l2', [1, 2]],
];
const only = values.only?.split(',');
const table = ALL.filter(([a, norm]) => !only || only.includes(`${a}:${norm}`));

function spec(name: AttackName, norm: Norm): AttackSpec {
  if (name === 'square') return { name, queries: settings.squareQueries + 2 };
  if (name === 'apgd-t') return { name, steps: settings.apgdSteps, targets: 9 };
  if (name.startsWith('apgd')) return { name, steps: settings.apgdSteps };
  return { name, steps: settings.steps, stepSize: norm === 'linf' ? settings.stepSize : undefined };
}

await startNodeEngine();
const model = loadLayersModel(JSON.parse(readFileSync(`${values.model}/model.json`, 'utf8')), new Map([['weights.bin', new Uint8Array(readFileSync(`${values.model}/weights.bin`))]]));
const data = take(fitToModel(loadBuiltinMnist().test, model.inputShape, model.numClasses), Number(values.limit));
const n = data.shape[0];

/** Robust accuracy per epsilon: correct on the clean input and after the attack (AutoAttack convention). */
function engineAccuracy(name: AttackName, norm: Norm, epsilons: number[]): number[] {
  const correct = new Array<number>(epsilons.length).fill(0);
  for (let s = 0; s < n; s += 100) {
    const e = Math.min(s + 100, n);
    const { x, y } = batch(data, s, e);
    const res = runAttack(spec(name, norm), model, x, y,
      { norm, epsilons: [0, ...epsilons], seed: settings.seed, indices: Array.from({ length: e - s }, (_, i) => s + i) });
    const clean = res[0]!.correct;
    res.slice(1).forEach((r, i) => (correct[i]! += r.correct.reduce((a, b, k) => a + (b && clean[k] ? 1 : 0), 0)));
    tf.dispose([x, y]);
  }
  return correct.map((c) => c / n);
}

const dir = mkdtempSync(join(tmpdir(), 'qaudit-agree-'));
const { x: xs, y: ys } = batch(data, 0, n);
const arrays: Parameters<typeof writeNpz>[0] = {
  x: { dtype: 'float32', shape: [...xs.shape], data: xs.dataSync() as Float32Array },
  y: { dtype: 'int32', shape: [n], data: ys.dataSync() as Int32Array },
};
for (const [k, t] of Object.entries(model.weights)) arrays[k.replace(/\//g, '__')] = { dtype: 'float32', shape: [...t.shape], data: t.dataSync() as Float32Array };
writeFileSync(join(dir, 'inputs.npz'), writeNpz(arrays));
const rows = table.flatMap(([attack, norm, eps]) => eps.map((e) => ({ attack, norm, eps: e })));
writeFileSync(join(dir, 'settings.json'), JSON.stringify({ ...settings, rows }));

const engine = new Map<string, number>();
const seconds = new Map<string, number>();
for (const [attack, norm, eps] of table) {
  const t0 = Date.now();
  engineAccuracy(attack, norm, eps).forEach((acc, i) => engine.set(`${attack}|${norm}|${eps[i]}`, acc));
  seconds.set(`${attack}|${norm}`, (Date.now() - t0) / 1000);
  console.log(`engine ${attack} ${norm}: ${seconds.get(`${attack}|${norm}`)} s`);
}
// Printed before the PyTorch side runs, so a failure there does not lose the engine's numbers.
for (const [k, v] of engine) console.log(`engine ${k} ${v}`);
const env = { ...process.env, PYTHONPATH: [process.env.TORCHATTACKS_PATH, process.env.PYTHONPATH].filter(Boolean).join(':') };
const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'pytorch_side.py'), join(dir, 'inputs.npz'), join(dir, 'settings.json'), join(dir, 'out.json')], { env, stdio: 'inherit' });
if (py.status !== 0) {
  console.error('the PyTorch side failed: install python3-torch and python3-scipy, and set TORCHATTACKS_PATH');
  process.exit(2);
}
const torch = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));

const LABEL: Partial<Record<AttackName, string>> = { apgd: 'apgd-ce', cw: 'cw-pgd' };
const lines = ['| attack | norm | eps | qaudit (wasm) | PyTorch + torchattacks | difference |', '|---|---|---|---|---|---|'];
let worst = 0;
for (const r of rows) {
  const key = `${r.attack}|${r.norm}|${r.eps}`;
  const d = engine.get(key)! - torch.rows[key];
  worst = Math.max(worst, Math.abs(d));
  lines.push(`| ${LABEL[r.attack] ?? r.attack} | ${r.norm} | ${r.eps} | ${(100 * engine.get(key)!).toFixed(2)}% | ${(100 * torch.rows[key]).toFixed(2)}% | ${(100 * d).toFixed(2)} pp |`);
}
// Square at L-inf also against torchattacks' loop with the authors' redraw of unchanged windows (pytorch_side.py
// SquareRedraw), which the engine follows (src/engine/attacks/square.ts): not part of the verdict.
for (const r of rows.filter((x) => x.attack === 'square' && x.norm === 'linf')) {
  const ref = torch.rows[`square-redraw|linf|${r.eps}`];
  if (ref === undefined) continue;
  const d = engine.get(`square|linf|${r.eps}`)! - ref;
  lines.push(`| square (torchattacks + the original's redraw) | linf | ${r.eps} | ${(100 * engine.get(`square|linf|${r.eps}`)!).toFixed(2)}% | ${(100 * ref).toFixed(2)}% | ${(100 * d).toFixed(2)} pp |`);
}
const verdict = worst <= TOLERANCE ? `agree: largest difference ${(100 * worst).toFixed(2)} pp <= 1.5 pp` : `DISAGREE: largest difference ${(100 * worst).toFixed(2)} pp > 1.5 pp`;
console.log(lines.join('\n'));
console.log(verdict);
writeFileSync(join(dir, 'table.md'), `${lines.join('\n')}\n\nResult: ${verdict}.\n\nClean: PyTorch ${(100 * torch.clean).toFixed(2)}%, n = ${n}, torch ${torch.torch}, torchattacks ${torch.torchattacks}\n`);
console.log(`table written to ${join(dir, 'table.md')} (docs/agreement.md is edited by hand around it)`);
process.exitCode = worst <= TOLERANCE ? 0 : 1;
