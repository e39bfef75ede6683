// `qaudit audit`: a whole audit on this machine: load, plan, run every chunk with progress, report, gate.
import type { Report } from '../engine/audit';
import { EngineError } from '../engine/errors';
import { configFromEnv, NODE_DEFAULTS } from '../config';
import { builtinMnist } from '../data/mnist.node';
import { auditSampleLines } from '../jobs/audit';
import { runAuditLocally } from '../jobs/runner.node';
import { MemoryStore } from '../storage/memory';
import { modelDigest } from '../storage/digest';
import { parseAuditFlags, settingsFromFlags } from './args';
import { readData, readModelFiles } from './files';
import { OUTPUT_HELP, parseGates, prepareBaseline, writeJsonLines, writeOutputs } from './outputs';
import { createProgress } from './progress';
import { formatSummary } from './summary';

export const AUDIT_HELP = `qaudit audit --model path/to/model.json [options]

  --model FILE        tfjs Layers model.json (its weight shards are read from the same folder), or an .onnx file
  --data SPEC         mnist (built-in test split, default), an .npz file with x and y, or a folder
                      (or .zip) of class folders of PNG/JPEG images, resized to the model's input
  --surrogate FILE    float model.json used as the transfer source when --model is quantized
  --limit N           samples to evaluate, from the start of the data (default 100)
  --attacks LIST      fgsm,pgd,apgd,apgd-dlr,apgd-t,cw,square,transfer,diva,hsj
                      (default: fgsm,pgd,apgd,square,transfer)
  --eps LIST          epsilons (default 0.1,0.3 for linf; 1,2 for l2)
  --norm linf|l2      perturbation norm (default linf)
  --bits LIST|none    bit widths of the quantized twins (default 8,4,2,1); none: audit the upload alone
  --steps N           gradient-attack iterations (default 40 for PGD/CW/transfer/DIVA, 100 for APGD)
  --step-size A       PGD step (default 0.01 at linf, eps/4 at l2)
  --restarts R        random restarts (default 1)
  --queries Q         Square and HopSkipJump query budget (default 1000; 5000 is "thorough")
  --temperature T     cross-entropy temperature of FGSM/PGD/APGD-CE/transfer (default 1)
  --defense SPEC      none (default), nonlinear (= staircase), staircase|sine|random[:param=value,...]
  --seed S            seed of every random draw (default 0)
  --chunk-size N      samples per chunk, a multiple of 16 (default 32)
  --preprocess SPEC   how pixels in [0, 1] become the model's input (epsilon stays in pixel units): none
                      (default), model (raw 0-255: the model's own Rescaling/Normalization layers), keras-mobilenet
                      ([-1, 1]), imagenet (torchvision mean/std), or JSON {"scale":..,"offset":..} / {"mean":[..],"std":[..]}
  --labels SPEC       dataset (default) or model: each sample's label is the model's own clean prediction
  --micro-batch N     samples per forward/backward pass: 1, 2, 4, 8 or 16 (default: the largest that fits
                      CHUNK_MEMORY_MB, default 1024 here; results do not depend on it)
  --threads N         worker threads, one engine each (default: one per core)
${OUTPUT_HELP}
  --quiet             no progress output`;

export async function auditCommand(argv: string[]): Promise<number> {
  const flags = parseAuditFlags(argv);
  if (flags.help) return (console.log(AUDIT_HELP), 0);
  if (!flags.model) throw new EngineError('invalid_argument', '--model: expected the path of a model.json or .onnx file, got nothing');
  const settings = settingsFromFlags(flags);
  const gates = parseGates(flags, settings);
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new EngineError('invalid_argument', `--threads: expected an integer in [1, 64], got '${flags.threads}'`);
  }
  const files = await readModelFiles(flags.model);
  const surrogate = flags.surrogate ? await readModelFiles(flags.surrogate) : undefined;
  const data = flags.data === 'mnist' ? 'mnist' : await readData(flags.data);
  const baseline = await prepareBaseline(gates, { keys: flags.keys });
  const progress = createProgress(flags.quiet);
  let report: Report;
  const store = new MemoryStore();
  try {
    let jobId: string;
    ({ report, jobId } = await runAuditLocally({
      store,
      modelJson: files.json,
      shards: files.shards,
      modelSha256: await modelDigest(files.jsonBytes, [...files.shards.values()]),
      surrogate: surrogate && { modelJson: surrogate.json, shards: [...surrogate.shards] },
      data,
      builtin: builtinMnist,
      settings,
      memoryBudget: configFromEnv(process.env, NODE_DEFAULTS).limits.chunkMemoryBytes,
      threads,
      onProgress: (e) => {
        if (e.type === 'progress') progress.update(e.progress.done, e.progress.total, e.progress.current ?? '');
      },
    }));
    if (flags['per-sample']) await writeJsonLines(flags['per-sample'], (await auditSampleLines(jobId, store))!);
  } finally {
    progress.stop();
  }
  console.log(formatSummary(report));
  return writeOutputs(report, flags, gates, { model: flags.model, baseline });
}
