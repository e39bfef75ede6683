// Evidence benchmark (issue 5, METHOD.md claims 2 and 4): retrains a LeNet-style MNIST model (by default a LeNet-5
// trained here, scripts/lenet5.ts; --model mnist-cnn: the shipped examples/mnist-cnn) at 1, 2 and 4 bits with every
// method under one budget, attacks every result, and writes the table into docs/results.md between the retraining
// markers (other sections of the file are kept).
// Usage: node scripts/run-ts.mjs scripts/retrain-results.ts [--model lenet5|mnist-cnn] [--per-channel] [--fit-epochs 8]
//   [--fit-lr 1e-3] [--batches 1250] [--samples 1000] [--lr 3e-3] [--at-steps 10] [--at-step-size 0.03] [--at-warmup 0.5]
//   [--bits 1,2,4] [--methods none,qat,pgd-at,boundary,at-then-quantize] [--out docs/results.md]
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { startNodeEngine } from '../src/runtime/node';
import { loadBuiltinMnist } from '../src/data/mnist.node';
import { fitToModel, batch, take } from '../src/engine/data/dataset';
import type { Dataset } from '../src/engine/data/types';
import { loadLayersModel, type Model } from '../src/engine/model';
import { runAttack } from '../src/engine/attacks';
import { project } from '../src/engine/attacks/common';
import { Transfer } from '../src/engine/attacks/transfer';
import { finish, initRetrain, isDone, retrainStep, shadowModel, type RetrainConfigInput, type RetrainMethod } from '../src/engine/train';
import { LENET5_DESCRIPTION, lenet5 } from './lenet5';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string', default: 'lenet5' },
    'per-channel': { type: 'boolean', default: false },
    'fit-epochs': { type: 'string', default: '8' },
    'fit-lr': { type: 'string', default: '1e-3' },
    batches: { type: 'string', default: '1250' },
    samples: { type: 'string', default: '1000' },
    'at-steps': { type: 'string', default: '10' },
    'at-step-size': { type: 'string', default: '0.03' },
    'at-warmup': { type: 'string', default: '0.5' },
    seed: { type: 'string', default: '1' },
    lr: { type: 'string', default: '3e-3' },
    bits: { type: 'string', default: '1,2,4' },
    methods: { type: 'string', default: 'none,qat,pgd-at,boundary,at-then-quantize' },
    out: { type: 'string', default: 'docs/results.md' },
    /** Re-render the doc from a saved run (the JSON this script writes next to its bundle cache) without measuring. */
    render: { type: 'string' },
  },
});
const BATCHES = Number(a.batches);
const SAMPLES = Number(a.samples);
const AT = { eps: 0.3, steps: Number(a['at-steps']), stepSize: Number(a['at-step-size']), randomStart: true, warmup: Number(a['at-warmup']) };
const SEED = Number(a.seed);
const BITS = a.bits!.split(',').map(Number);
const METHODS = a.methods!.split(',') as RetrainMethod[];
const LR = Number(a.lr);
const PER_CHANNEL = a['per-channel']!;
const FIT = { epochs: Number(a['fit-epochs']), learningRate: Number(a['fit-lr']), seed: SEED };
if (a.model !== 'lenet5' && a.model !== 'mnist-cnn') throw new Error(`expected --model lenet5 or mnist-cnn, got ${a.model}`);
const EPS = [0.1, 0.3];
const EVAL_BATCH = 100;
const command = `node scripts/run-ts.mjs scripts/retrain-results.ts ${process.argv.slice(2).join(' ')}`.trim();

interface Row { model: string; bits: string; method: string; trainSeconds: number | null; stepSeconds?: number; acc: Record<string, number> }
/** One measured run, saved as JSON so that the doc can be re-rendered without re-measuring. */
interface Run { command: string; seconds: number; machine: string; rows: Row[]; floatModel?: string }
const SAVED = 'node_modules/.cache/qaudit/retrain-results.json';
const COLUMNS = ['clean', 'fgsm@0.1', 'fgsm@0.3', 'pgd@0.1', 'pgd@0.3', 'transfer@0.1', 'transfer@0.3'];

const t0 = Date.now();
const secs = (since: number) => (Date.now() - since) / 1000;
const log = (m: string) => console.log(`[${secs(t0).toFixed(0)} s] ${m}`);

/** The float model and the sentence that names it in the doc (with a hash of its weights, so a rerun can check it got the same model). */
async function loadFloat(train: Dataset): Promise<{ model: Model; description: string }> {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);
  if (a.model === 'mnist-cnn') {
    const json = JSON.parse(await readFile('examples/mnist-cnn/model.json', 'utf8'));
    const bin = new Uint8Array(await readFile('examples/mnist-cnn/weights.bin'));
    return { model: loadLayersModel(json, new Map([['weights.bin', bin]])), description: `the shipped examples/mnist-cnn (weights.bin sha256 ${sha(bin)}...)` };
  }
  const start = Date.now();
  const { model, cached, dir } = await lenet5(train, FIT, log);
  log(`lenet5 ${cached ? 'loaded from' : `trained in ${secs(start).toFixed(0)} s and saved to`} ${dir}`);
  const bin = new Uint8Array(await readFile(`${dir}/weights.bin`));
  return { model, description: `${LENET5_DESCRIPTION}, trained by this script (scripts/lenet5.ts: He-uniform init from seed ${FIT.seed}, Adam lr ${FIT.learningRate}, ${FIT.epochs} epochs of batch 32 on the training split; cached in ${dir}, weights.bin sha256 ${sha(bin)}...)` };
}

/** Transfer adversarials (PGD on the float model, 40 x 0.01, random start), crafted once per eps, exactly as the transfer attack does. */
function craftTransfer(float: Model, test: Dataset): Map<number, tf.Tensor4D[]> {
  const out = new Map<number, tf.Tensor4D[]>();
  const attack = new Transfer({ steps: 40, restarts: 1, randomStart: true });
  for (const eps of EPS) {
    const parts: tf.Tensor4D[] = [];
    for (let s = 0; s < test.shape[0]; s += EVAL_BATCH) {
      const { x, y } = batch(test, s, Math.min(s + EVAL_BATCH, test.shape[0]));
      const ctx = { norm: 'linf' as const, seed: SEED, indices: Array.from({ length: x.shape[0] }, (_, i) => s + i), eot: 1, source: float };
      parts.push(tf.tidy(() => project(attack.run(float, x, y, eps, ctx), x, eps, 'linf')));
      tf.dispose([x, y]);
    }
    out.set(eps, parts);
  }
  return out;
}

function evaluate(model: Model, test: Dataset, transfer: Map<number, tf.Tensor4D[]>): Record<string, number> {
  const correct: Record<string, number> = Object.fromEntries(COLUMNS.map((c) => [c, 0]));
  const count = (k: string, ok: Uint8Array) => (correct[k]! += ok.reduce((s, v) => s + v, 0));
  for (let s = 0, b = 0; s < test.shape[0]; s += EVAL_BATCH, b++) {
    const { x, y } = batch(test, s, Math.min(s + EVAL_BATCH, test.shape[0]));
    const opts = { norm: 'linf' as const, seed: SEED, indices: Array.from({ length: x.shape[0] }, (_, i) => s + i) };
    const fg = runAttack({ name: 'fgsm' }, model, x, y, { ...opts, epsilons: [0, ...EPS] });
    count('clean', fg[0]!.correct);
    EPS.forEach((e, i) => count(`fgsm@${e}`, fg[i + 1]!.correct));
    runAttack({ name: 'pgd' }, model, x, y, { ...opts, epsilons: EPS }).forEach((r, i) => count(`pgd@${EPS[i]}`, r.correct));
    for (const e of EPS) {
      const ok = tf.tidy(() => tf.cast(tf.equal(tf.argMax(model.logits(transfer.get(e)![b]!), 1), y), 'int32').dataSync());
      count(`transfer@${e}`, Uint8Array.from(ok));
    }
    tf.dispose([x, y]);
  }
  return Object.fromEntries(COLUMNS.map((c) => [c, correct[c]! / test.shape[0]]));
}

/** Runs a job step by step, as the job drivers do; returns the final state and its wall time. */
function train(float: Model, data: Dataset, config: RetrainConfigInput) {
  const start = Date.now();
  let state = initRetrain(float, config, data.shape[0]);
  while (!isDone(state)) state = retrainStep(state, float, data, config);
  const m = state.metrics;
  const first = m[0], last = m[m.length - 1];
  log(`${config.method} ${config.bits}-bit: ${state.batches} batches in ${secs(start).toFixed(0)} s, loss ${first?.loss.toFixed(3)} -> ${last?.loss.toFixed(3)}`);
  return { state, seconds: secs(start), stepSeconds: secs(start) / Math.max(1, state.steps) };
}

if (a.render) {
  await writeResults(JSON.parse(await readFile(a.render, 'utf8')) as Run);
} else {
  const run = await measure();
  await writeFile(SAVED, JSON.stringify(run, null, 1));
  console.log(`saved the measurements to ${SAVED}`);
  await writeResults(run);
}

async function measure(): Promise<Run> {
  await startNodeEngine();
  const { train: trainRaw, test: testRaw } = loadBuiltinMnist();
  const { model: float, description } = await loadFloat(fitToModel(trainRaw, [28, 28, 1], 10));
  const trainSet = fitToModel(trainRaw, float.inputShape, float.numClasses);
  const testSet = fitToModel(take(testRaw, SAMPLES), float.inputShape, float.numClasses);
  log(`float model loaded; train ${trainSet.shape[0]}, test subset ${testSet.shape[0]}`);
  const transfer = craftTransfer(float, testSet);
  log('transfer adversarials crafted on the float model');
  
  const rows: Row[] = [];
  const add = (model: Model, name: string, bits: string, method: string, trainSeconds: number | null, stepSeconds?: number) => {
    const start = Date.now();
    rows.push({ model: name, bits, method, trainSeconds, stepSeconds, acc: evaluate(model, testSet, transfer) });
    log(`evaluated ${name} (${bits}, ${method}) in ${secs(start).toFixed(0)} s: ${COLUMNS.map((c) => `${c} ${rows.at(-1)!.acc[c]!.toFixed(3)}`).join(', ')}`);
  };
  add(float, 'float', '32', 'none (trained float)', null);
  
  const base = { seed: SEED, epochs: Math.ceil(BATCHES / Math.ceil(trainSet.shape[0] / 32)), maxBatches: BATCHES, batchSize: 32, batchesPerStep: 8, perChannel: PER_CHANNEL, optimizer: { name: 'adam' as const, learningRate: LR }, adversarial: AT };
  // at-then-quantize trains the float model once; both bit widths quantize the same AT model.
  const atJob = METHODS.includes('at-then-quantize') ? train(float, trainSet, { ...base, method: 'at-then-quantize', bits: 2 }) : undefined;
  const atFloat = atJob && shadowModel(atJob.state, float);
  if (atJob && atFloat) add(atFloat, 'float, PGD-AT', '32', 'PGD-AT of the float model', atJob.seconds, atJob.stepSeconds);
  for (const bits of BITS) {
    for (const method of METHODS.filter((m) => m !== 'at-then-quantize')) {
      const job = train(float, trainSet, { ...base, method, bits });
      const q = finish(job.state, float, { ...base, method, bits });
      add(q, `w${bits}`, String(bits), method, method === 'none' ? null : job.seconds, method === 'none' ? undefined : job.stepSeconds);
      q.dispose();
    }
    if (!atJob || !atFloat) continue;
    const q = atFloat.quantize(bits, { perChannel: PER_CHANNEL });
    add(q, `w${bits}`, String(bits), 'at-then-quantize', atJob.seconds);
    q.dispose();
  }
  log('done');
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, tfjs wasm SIMD backend (one thread)`;
  return { command, seconds: secs(t0), machine, rows, floatModel: description };
}


function table(rs: Row[]): string {
  const head = `| model | method | train s | s/step | ${COLUMNS.join(' | ')} |\n|---|---|---|---|${COLUMNS.map(() => '---').join('|')}|`;
  const pct = (v: number) => (100 * v).toFixed(1);
  return [head, ...rs.map((r) => `| ${r.model} | ${r.method} | ${r.trainSeconds === null ? '-' : r.trainSeconds.toFixed(0)} | ${r.stepSeconds === undefined ? '-' : r.stepSeconds.toFixed(2)} | ${COLUMNS.map((c) => pct(r.acc[c]!)).join(' | ')} |`)].join('\n');
}

async function writeResults(run: Run) {
  const BEGIN = '<!-- retrain-results:begin -->';
  const END = '<!-- retrain-results:end -->';
  const body = [BEGIN, section(run), END].join('\n');
  let doc: string;
  try {
    doc = await readFile(a.out!, 'utf8');
  } catch {
    doc = '# Results\n\nMeasured on this machine; every table names the command that made it.\n\n## Audit: float vs quantized twins\n\n(filled by the audit benchmark)\n\n## Retraining: boundary-based vs baselines\n\n' + `${BEGIN}\n${END}\n` + '\n## Defense: plain vs adaptive attacks\n\n(filled by the defense benchmark)\n';
  }
  doc = doc.includes(BEGIN) ? doc.slice(0, doc.indexOf(BEGIN)) + body + doc.slice(doc.indexOf(END) + END.length) : `${doc.trimEnd()}\n\n## Retraining: boundary-based vs baselines\n\n${body}\n`;
  await writeFile(a.out!, doc);
  console.log(`wrote ${a.out}`);
}

function section(run: Run): string {
  const rs = run.rows;
  return [
    `Command: \`${run.command}\` (total ${run.seconds.toFixed(0)} s on ${run.machine}; the machine was shared with other jobs, so timings are indicative).`,
    '',
    table(rs),
    '',
    `Accuracy in % on the first ${SAMPLES} samples of the built-in MNIST test split (class-interleaved). Float model: ${run.floatModel ?? 'examples/mnist-cnn'}.`,
    `Quantizer (METHOD.md): symmetric uniform, s = max|W| / (2^(k-1) - 1), W_q = s * clamp(round(W / s), -(2^(k-1)-1), 2^(k-1)-1) for k >= 2; binary W_q = mean|W| * sign(W) for k = 1; ${PER_CHANNEL ? 'one scale per output channel (`perChannel: true`)' : 'one scale per tensor (the default)'}; kernels only, biases float. Every wN row (plain quantization and every retraining) uses this quantizer.`,
    `Budget per method: ${BATCHES} mini-batches of 32 (${(BATCHES / 250).toFixed(1)} epochs of the 7996-sample training split), Adam lr ${LR}, seed ${SEED}.`,
    `Adversarial training (pgd-at, at-then-quantize): PGD eps ${AT.eps}, ${AT.steps} steps of ${AT.stepSize}, random start; eps (and the PGD step) ramped linearly from 0 over the first ${AT.warmup * 100}% of the batches (\`adversarial.warmup\`).`,
    `Optimizer: Adam (lr ${LR}, cosine decay to 0 over the budget), batch 32, 8 batches per resumable step; boundary samples: PGD eps 0.1, 5 steps of 0.025 on the float model, bisection to 1/255; lambdaB = lambdaD = 1, T = 4.`,
    'Resumable steps: a step is 8 mini-batches of 32 (`batchesPerStep`, default 8). "s/step" is the measured wall time of one step on this machine under shared load: even the costliest method (adversarial training with the full 40-step PGD is 4x the 10-step figure) stays well inside a Workers invocation (30 s CPU by default), and batch 32 keeps wasm memory near 60 MB, under the 128 MB isolate limit (PLATFORM.md).',
    'Attacks (white-box on each model): FGSM; PGD 40 x 0.01 with random start; transfer = PGD 40 x 0.01 crafted on the float model, scored on each model. "train s" is wall time of the retraining (at-then-quantize: the float AT, shared by every bit width).',
    '',
    '### What is and is not reproduced (generated from the table above)',
    '',
    ...claims(rs),
  ].join('\n');
}

function claims(rs: Row[]): string[] {
  const find = (bits: string, method: string) => rs.find((r) => r.bits === bits && r.method === method);
  const f = rs.find((r) => r.model === 'float')!;
  const at = rs.find((r) => r.model === 'float, PGD-AT');
  const pt = (v: number) => `${(100 * v).toFixed(1)}%`;
  const d = (x: Row, y: Row, c: string) => `${x.acc[c]! >= y.acc[c]! ? '+' : ''}${(100 * (x.acc[c]! - y.acc[c]!)).toFixed(1)}`;
  const attacks = COLUMNS.filter((c) => c !== 'clean');
  const bitsLabel = (bits: string) => (bits === '1' ? '1 bit' : `${bits} bits`);
  const out: string[] = [];
  for (const bits of BITS.map(String)) {
    const [b, none, qat, pgd] = ['boundary', 'none', 'qat', 'pgd-at'].map((m) => find(bits, m));
    if (!b || !none) continue;
    out.push(`- Claim 2 at ${bitsLabel(bits)}. Plain quantization: clean ${pt(none.acc.clean!)} (float ${pt(f.acc.clean!)}); boundary-based retraining: clean ${pt(b.acc.clean!)}, ${Math.abs(100 * (f.acc.clean! - b.acc.clean!)).toFixed(1)} points ${b.acc.clean! <= f.acc.clean! ? 'below' : 'above'} float.`);
    if (qat) {
      const better = attacks.filter((c) => b.acc[c]! > qat.acc[c]!);
      out.push(`  - vs QAT without the boundary term (points, boundary minus QAT): ${COLUMNS.map((c) => `${c} ${d(b, qat, c)}`).join(', ')}. Boundary is better under ${better.length} of ${attacks.length} attacks.`);
    }
    if (pgd) {
      const better = attacks.filter((c) => b.acc[c]! > pgd.acc[c]!);
      out.push(`  - vs PGD adversarial training of the quantized model (boundary minus PGD-AT): ${COLUMNS.map((c) => `${c} ${d(b, pgd, c)}`).join(', ')}. Boundary is better under ${better.length} of ${attacks.length} attacks.`);
    }
  }
  for (const bits of BITS.map(String)) {
    const atq = find(bits, 'at-then-quantize');
    const none = find(bits, 'none');
    if (!at || !atq || !none) continue;
    const ql = (hi: Row, lo: Row, c: string) => ((hi.acc[c]! - lo.acc[c]!) * 100).toFixed(1);
    out.push(`- Claim 4 at ${bitsLabel(bits)}: quantization loss QL = acc(float) - acc(${bits}-bit), in points, of the adversarially trained model vs of the plain float model: ${COLUMNS.map((c) => `${c} ${ql(at, atq, c)} vs ${ql(f, none, c)}`).join('; ')}.`);
  }
  const collapsed = rs.filter((r) => r.trainSeconds !== null && r.method !== 'at-then-quantize' && r.acc.clean! < 0.3);
  if (collapsed.length) out.push(`- Runs that failed to train (clean accuracy under 30%): ${collapsed.map((r) => `${r.model} ${r.method}`).join('; ')}.`);
  if (out.length === 0) out.push('- (too few methods in this run to compare)');
  return out;
}
