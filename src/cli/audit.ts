// `qaudit audit`: a whole audit on this machine: load, plan, run every chunk with progress, report, gate.
import { writeFile } from 'node:fs/promises';
import { loadLayersModel } from '../engine/model';
import type { Model } from '../engine/model';
import { fitToModel } from '../engine/data/dataset';
import { auditParts, createAuditContext, mergeReport, planAudit, renderJunit, checkThresholds, parseThresholds, runChunk } from '../engine/audit';
import type { Report } from '../engine/audit';
import { EngineError } from '../engine/errors';
import { startNodeEngine } from '../runtime/node';
import { parseAuditFlags, settingsFromFlags } from './args';
import { readData, readModelFiles } from './files';
import { createProgress } from './progress';
import { formatSummary } from './summary';

export const AUDIT_HELP = `qaudit audit --model path/to/model.json [options]

  --model FILE        tfjs Layers model.json; its weight shards are read from the same folder
  --data SPEC         mnist (built-in test split, default) or an .npz file with x and y
  --surrogate FILE    float model.json used as the transfer source when --model is quantized
  --limit N           samples to evaluate, from the start of the data (default 100)
  --attacks LIST      fgsm,pgd,apgd,square,transfer (default: all)
  --eps LIST          epsilons (default 0.1,0.3 for linf; 1,2 for l2)
  --norm linf|l2      perturbation norm (default linf)
  --bits LIST         bit widths of the quantized twins (default 8,4,2)
  --steps N           PGD/APGD/transfer iterations (default 40 for PGD, 100 for APGD)
  --step-size A       PGD step (default 0.01 at linf, eps/4 at l2)
  --restarts R        random restarts (default 1)
  --queries Q         Square attack query budget (default 1000; 5000 is "thorough")
  --defense SPEC      none (default), nonlinear (= staircase), staircase|sine|random[:param=value,...]
  --seed S            seed of every random draw (default 0)
  --chunk-size N      samples per chunk, a multiple of 16 (default 32)
  --out FILE          write the JSON report
  --junit FILE        write a JUnit XML report
  --fail-under LIST   thresholds like "pgd@0.3=0.5,fgsm@0.1=0.8": exit 1 when accuracy is below
  --quiet             no progress output`;

export async function auditCommand(argv: string[]): Promise<number> {
  const flags = parseAuditFlags(argv);
  if (flags.help) return (console.log(AUDIT_HELP), 0);
  if (!flags.model) throw new EngineError('invalid_argument', '--model: expected the path of a model.json, got nothing');
  const settings = settingsFromFlags(flags);
  const thresholds = flags['fail-under'] ? parseThresholds(flags['fail-under']) : [];
  await startNodeEngine();
  const files = await readModelFiles(flags.model);
  const model = loadLayersModel(files.json, files.shards);
  const surrogate = flags.surrogate ? await loadSurrogate(flags.surrogate) : undefined;
  try {
    const data = fitToModel(await readData(flags.data), model.inputShape, model.numClasses);
    const report = await runAudit(model, data, settings, surrogate, flags.quiet);
    console.log(formatSummary(report));
    if (flags.out) await writeFile(flags.out, JSON.stringify(report, null, 2) + '\n');
    if (flags.junit) await writeFile(flags.junit, renderJunit(report, thresholds));
    const gate = checkThresholds(report, thresholds);
    for (const f of gate.failures) console.log(`FAIL ${f.message}`);
    return gate.passed ? 0 : 1;
  } finally {
    model.dispose();
    surrogate?.dispose();
  }
}

async function loadSurrogate(path: string): Promise<Model> {
  const files = await readModelFiles(path);
  return loadLayersModel(files.json, files.shards);
}

async function runAudit(model: Model, data: ReturnType<typeof fitToModel>, settings: ReturnType<typeof settingsFromFlags>, surrogate: Model | undefined, quiet: boolean): Promise<Report> {
  const chunks = planAudit(settings, { modelBits: model.summary.bits, dataSize: data.shape[0], surrogate: !!surrogate });
  const ctx = createAuditContext(auditParts(model, data, surrogate), settings);
  const progress = createProgress(quiet);
  const results = [];
  try {
    for (const [i, chunk] of chunks.entries()) {
      progress.update(i, chunks.length, chunk.id);
      results.push(await runChunk(ctx, chunk));
    }
    progress.update(chunks.length, chunks.length, 'done');
  } finally {
    progress.stop();
    ctx.dispose();
  }
  return mergeReport(settings, model.summary, chunks, results, { name: data.name, total: data.shape[0] }, { surrogate: !!surrogate });
}
