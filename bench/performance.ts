// `npm run bench` (not a test): the engine against PyTorch CPU + torchattacks on the same weights and inputs, at
// 1 and 2 threads: forward, PGD steps, the standard audit end to end, and the memory of one audit chunk.
// Writes docs/performance.md; the last line printed is `ratios forward=<x> pgd=<y> audit=<z>` (engine / PyTorch).
// Usage: node scripts/run-ts.mjs bench/performance.ts [--samples 64] [--batch 128] [--seconds 3] [--no-torch] [--no-audit]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditSettingsInput } from '../src/engine/audit';
import { loadBuiltinMnist } from '../src/data/mnist.node';
import { runAuditLocally } from '../src/jobs/runner.node';
import { startNodeEngine } from '../src/runtime/node';
import { loadModel, mnistSamples, modelFiles } from './measure';
import type { KernelRates } from './measure';
import { ratiosLine, render, writeDoc } from './report';
import type { BenchFigures } from './report';
import { inWorker, memoryOfChunk, ratesOnThreads, serveTask } from './threads';
import type { MemoryResult } from './threads';
import { ensureTorch, runTorch } from './torch';
import type { TorchResult } from './torch';

const THREADS = [1, 2];
const BITS = [8, 4, 2];
const RATE_STEPS = 10;

/** The standard audit of issue #7: FGSM, PGD-40, APGD, Square at 3 epsilons on the float model and its 8/4/2-bit twins. */
export const standardAudit = (samples: number): AuditSettingsInput => ({
  attacks: ['fgsm', 'pgd', 'apgd', 'square'], epsilons: [0.1, 0.2, 0.3], bits: BITS, limit: samples, sanity: false, seed: 0,
});

const log = (s: string) => console.error(s);

async function engineAudit(settings: AuditSettingsInput, threads: number): Promise<number> {
  const f = modelFiles();
  const t0 = performance.now();
  await runAuditLocally({
    ...f, data: 'mnist', builtin: () => loadBuiltinMnist().test, settings, threads, workerPath: resolve('dist/audit-worker.mjs'),
  });
  return (performance.now() - t0) / 1000;
}

async function engineSide(entry: URL, a: Args): Promise<BenchFigures['engine']> {
  const memory: MemoryResult[] = [];
  for (const attack of ['pgd', 'apgd', 'square']) {
    memory.push(await memoryOfChunk(entry, standardAudit(a.samples), attack));
    log(`engine: chunk ${memory.at(-1)!.chunk}: wasm heap ${(memory.at(-1)!.heapAfter / 2 ** 20).toFixed(1)} MB`);
  }
  const rates: Record<string, KernelRates> = {};
  for (const t of THREADS) {
    rates[t] = await ratesOnThreads(entry, t, a.batch, RATE_STEPS, a.seconds);
    log(`engine ${t} thread(s): forward ${rates[t]!.forward.toFixed(0)} img/s, PGD ${rates[t]!.pgd.toFixed(0)} img*steps/s`);
  }
  const audit: Record<string, number> = {};
  for (const t of a.audit ? THREADS : []) {
    audit[t] = await engineAudit(standardAudit(a.samples), t);
    log(`engine ${t} thread(s): audit ${audit[t]!.toFixed(1)} s`);
  }
  return { rates, audit, memory };
}

async function torchSide(a: Args, notes: string[]): Promise<TorchResult | null> {
  const why = ensureTorch(log);
  if (why) return (notes.push(why), log(why), null);
  const model = loadModel();
  const variants = { float: model, ...Object.fromEntries(BITS.map((k) => [`w${k}`, model.quantize(k)])) };
  const settings = {
    threads: THREADS, batch: a.batch, rateSteps: RATE_STEPS, seconds: a.seconds, audit: a.audit, samples: a.samples,
    auditBatch: a.auditBatch, epsilons: [0.1, 0.2, 0.3], attacks: ['fgsm', 'pgd', 'apgd', 'square'], variants: Object.keys(variants),
    pgdSteps: 40, apgdSteps: 100, stepSize: 0.01, queries: 1000, seed: 0,
  };
  try {
    const r = runTorch(variants, mnistSamples(model, Math.max(a.samples, a.batch)), settings);
    if (!r.torchattacks) notes.push("torchattacks was not importable (set TORCHATTACKS_PATH): the PyTorch side used the script's own FGSM/PGD/Square and a PGD-100 in place of APGD");
    return r;
  } finally {
    for (const m of Object.values(variants)) m.dispose();
  }
}

interface Args { samples: number; batch: number; seconds: number; auditBatch: number; torch: boolean; audit: boolean; out: string }

function args(): Args {
  const { values: v } = parseArgs({
    options: {
      samples: { type: 'string', default: '64' }, batch: { type: 'string', default: '128' }, seconds: { type: 'string', default: '3' },
      'audit-batch': { type: 'string', default: '128' }, 'no-torch': { type: 'boolean', default: false },
      'no-audit': { type: 'boolean', default: false }, out: { type: 'string', default: 'docs/performance.md' },
    },
  });
  const num = (s: string, name: string) => {
    const n = Number(s);
    if (!(n > 0)) throw new Error(`--${name}: expected a positive number, got '${s}'`);
    return n;
  };
  return {
    samples: num(v.samples!, 'samples'), batch: num(v.batch!, 'batch'), seconds: num(v.seconds!, 'seconds'), auditBatch: num(v['audit-batch']!, 'audit-batch'),
    torch: !v['no-torch'], audit: !v['no-audit'], out: v.out!,
  };
}

async function main(): Promise<void> {
  const a = args();
  const command = `node scripts/run-ts.mjs bench/performance.ts ${process.argv.slice(2).join(' ')}`.trim();
  // The audit's worker threads run dist/audit-worker.mjs: rebuild it so it has the current kernels.
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`expected npm run build to succeed, got exit ${build.status}`);
  await startNodeEngine();
  const loadBefore = loadavg();
  const notes: string[] = [];
  const engine = await engineSide(new URL(import.meta.url), a);
  const torch = a.torch ? await torchSide(a, notes) : (notes.push('the PyTorch side was skipped (--no-torch)'), null);
  const figures: BenchFigures = {
    command, samples: a.samples, batch: a.batch, rateSteps: RATE_STEPS, auditBatch: a.auditBatch,
    settings: standardAudit(a.samples) as Record<string, unknown>, engine, torch, notes, loadBefore, loadAfter: loadavg(),
  };
  writeDoc(a.out, figures);
  console.log(render(figures));
  log(`wrote ${a.out}`);
  console.log(ratiosLine(figures));
}

if (inWorker) await serveTask();
else await main();
