// `npm run bench` (not a test): the engine against PyTorch CPU + torchattacks on the same graph, weights and inputs,
// at 1 and 2 threads, per model (bench/models.ts): forward, PGD steps, the standard audit end to end, the memory of
// one audit chunk, and the GFLOP/s per kernel class. Writes docs/performance.md; the last line printed is
// `ratios per-core=<x> best=<y>` (bench/report.ts defines both).
// Usage: node scripts/run-ts.mjs bench/performance.ts [--models cnn,lenet,resnet,mobilenet] [--samples N] [--batch B]
//   [--mobile-batch B] [--seconds S] [--audit-batch B] [--no-torch] [--no-audit] [--out FILE]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditSettingsInput } from '../src/engine/audit';
import { loadBuiltinMnist } from '../src/data/mnist.node';
import { runAuditLocally } from '../src/jobs/runner.node';
import { startNodeEngine } from '../src/runtime/node';
import { macsByClass } from './flops';
import type { KernelRates } from './measure';
import { MODELS, MODEL_IDS, loadBenchModel, type BenchModel, type ModelId } from './models';
import { ratiosLine, render, writeDoc } from './report';
import type { BenchFigures, ModelFigures } from './report';
import { inWorker, kernelTimes, memoryOfChunk, ratesOnThreads, serveTask } from './threads';
import type { MemoryResult } from './threads';
import { ensureTorch, runTorch } from './torch';
import type { TorchResult } from './torch';

const THREADS = [1, 2];
const BITS = [8, 4, 2];
const EPSILONS = [0.1, 0.2, 0.3];
/** The float logits of both sides must agree this closely (max |diff| / max |logit|) before anything is timed. */
const LOGITS_TOLERANCE = 1e-4;

/** The standard audit of issue #7: FGSM, PGD-40, APGD, Square at 3 epsilons on the float model and its 8/4/2-bit twins. */
export const standardAudit = (samples: number): AuditSettingsInput => ({
  attacks: ['fgsm', 'pgd', 'apgd', 'square'], epsilons: EPSILONS, bits: BITS, limit: samples, sanity: false, seed: 0,
});

const started = performance.now();
const log = (s: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${s}`);

async function engineAudit(m: BenchModel, samples: number, threads: number): Promise<number> {
  const f = m.files();
  const t0 = performance.now();
  await runAuditLocally({
    ...f, data: m.auditData(samples), builtin: () => loadBuiltinMnist().test, settings: standardAudit(samples), threads, workerPath: resolve('dist/audit-worker.mjs'),
  });
  return (performance.now() - t0) / 1000;
}

interface Plan { model: BenchModel; batch: number; samples: number | null }

async function engineSide(entry: URL, p: Plan, a: Args): Promise<Omit<ModelFigures, 'torch'>> {
  const id = p.model.id;
  const memory: MemoryResult[] = [];
  for (const attack of p.samples && a.audit ? ['pgd', 'apgd', 'square'] : []) {
    memory.push(await memoryOfChunk(entry, id, standardAudit(p.samples!), attack));
    log(`engine ${id}: chunk ${memory.at(-1)!.chunk}: wasm heap ${(memory.at(-1)!.heapAfter / 2 ** 20).toFixed(1)} MB`);
  }
  const rates: Record<string, KernelRates> = {};
  for (const t of THREADS) {
    rates[t] = await ratesOnThreads(entry, id, t, p.batch, p.model.rateSteps, a.seconds);
    log(`engine ${id} ${t} thread(s): forward ${rates[t]!.forward.toFixed(1)} img/s, PGD ${rates[t]!.pgd.toFixed(1)} img*steps/s`);
  }
  const kernels = await kernelTimes(entry, id, p.batch);
  log(`engine ${id}: kernel times per image (ms) forward ${JSON.stringify(kernels.forwardMs)} gradient ${JSON.stringify(kernels.gradientMs)}`);
  const audit: Record<string, number> = {};
  for (const t of p.samples && a.audit ? THREADS : []) {
    audit[t] = await engineAudit(p.model, p.samples!, t);
    log(`engine ${id} ${t} thread(s): audit ${audit[t]!.toFixed(1)} s`);
  }
  const model = loadBenchModel(id);
  const macs = macsByClass(model.graph);
  model.dispose();
  return {
    id, title: p.model.title, dataTitle: p.model.dataTitle, batch: p.batch, rateSteps: p.model.rateSteps, auditSamples: a.audit ? p.samples : null,
    macs, engine: { rates, audit, memory, kernels },
  };
}

async function torchSide(p: Plan, a: Args, notes: string[]): Promise<TorchResult | null> {
  const model = loadBenchModel(p.model.id);
  const bits = p.samples && a.audit ? BITS : [];
  const variants = { float: model, ...Object.fromEntries(bits.map((k) => [`w${k}`, model.quantize(k)])) };
  const samples = p.samples ?? 0;
  const settings = {
    model: p.model.id, logitsTolerance: LOGITS_TOLERANCE,
    threads: THREADS, batch: p.batch, rateSteps: p.model.rateSteps, seconds: a.seconds, audit: a.audit && samples > 0, samples,
    auditBatch: a.auditBatch, epsilons: EPSILONS, attacks: ['fgsm', 'pgd', 'apgd', 'square'], variants: Object.keys(variants),
    pgdSteps: 40, apgdSteps: 100, stepSize: 0.01, queries: 1000, seed: 0,
  };
  try {
    const r = runTorch(variants, await p.model.samples(model, Math.max(samples, p.batch)), settings);
    if (!r.torchattacks) notes.push("torchattacks was not importable (set TORCHATTACKS_PATH): the PyTorch side used the script's own FGSM/PGD/Square and a PGD-100 in place of APGD");
    return r;
  } finally {
    for (const m of Object.values(variants)) m.dispose();
  }
}

interface Args {
  models: ModelId[]; samples: number | null; batch: number | null; mobileBatch: number; seconds: number; auditBatch: number;
  torch: boolean; audit: boolean; out: string;
}

function args(): Args {
  const { values: v } = parseArgs({
    options: {
      models: { type: 'string', default: MODEL_IDS.join(',') }, samples: { type: 'string' }, batch: { type: 'string' },
      'mobile-batch': { type: 'string', default: String(MODELS.mobilenet.batch) }, seconds: { type: 'string', default: '3' },
      'audit-batch': { type: 'string', default: '128' }, 'no-torch': { type: 'boolean', default: false },
      'no-audit': { type: 'boolean', default: false }, out: { type: 'string', default: 'docs/performance.md' },
    },
  });
  const num = (s: string, name: string) => {
    const n = Number(s);
    if (!(n > 0)) throw new Error(`--${name}: expected a positive number, got '${s}'`);
    return n;
  };
  const models = v.models!.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of models) if (!MODEL_IDS.includes(m as ModelId)) throw new Error(`--models: expected a list of ${MODEL_IDS.join(', ')}, got '${m}'`);
  return {
    models: models as ModelId[], samples: v.samples === undefined ? null : num(v.samples, 'samples'), batch: v.batch === undefined ? null : num(v.batch, 'batch'),
    mobileBatch: num(v['mobile-batch']!, 'mobile-batch'), seconds: num(v.seconds!, 'seconds'), auditBatch: num(v['audit-batch']!, 'audit-batch'),
    torch: !v['no-torch'], audit: !v['no-audit'], out: v.out!,
  };
}

/** Per model: its batch (--batch for the small models, --mobile-batch for MobileNetV2) and audit samples (--samples, or its default). */
const planOf = (id: ModelId, a: Args): Plan => {
  const model = MODELS[id];
  const batch = id === 'mobilenet' ? a.mobileBatch : a.batch ?? model.batch;
  return { model, batch, samples: model.auditSamples === null ? null : a.samples ?? model.auditSamples };
};

async function main(): Promise<void> {
  const a = args();
  const command = `node scripts/run-ts.mjs bench/performance.ts ${process.argv.slice(2).join(' ')}`.trim();
  // The audit's worker threads run dist/audit-worker.mjs: rebuild it so it has the current kernels.
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`expected npm run build to succeed, got exit ${build.status}`);
  await startNodeEngine();
  const loadBefore = loadavg();
  const t0 = performance.now();
  const notes: string[] = [];
  const why = a.torch ? ensureTorch(log) : 'the PyTorch side was skipped (--no-torch)';
  if (why) (notes.push(why), log(why));
  const models: ModelFigures[] = [];
  for (const id of a.models) {
    const p = planOf(id, a);
    const engine = await engineSide(new URL(import.meta.url), p, a);
    models.push({ ...engine, torch: why ? null : await torchSide(p, a, notes) });
  }
  const figures: BenchFigures = {
    command, settings: (({ limit: _, ...rest }) => rest)(standardAudit(0)) as Record<string, unknown>, models, notes: [...new Set(notes)],
    loadBefore, loadAfter: loadavg(), minutes: (performance.now() - t0) / 60000,
  };
  writeDoc(a.out, figures);
  console.log(render(figures));
  log(`wrote ${a.out}`);
  console.log(ratiosLine(figures));
}

if (inWorker) await serveTask();
else await main();
