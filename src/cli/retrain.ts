// `qaudit retrain`: a resumable retraining job on this machine, run by the service's job steps with its checkpoints
// in --out (jobs/retrain-local.node.ts), or the same job on a qaudit server with --server (retrain-remote.ts).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../engine/errors';
import { fitSource } from '../engine/data/source';
import type { Dataset } from '../engine/data/types';
import { loadModel } from '../engine/model';
import type { Model } from '../engine/model';
import { RETRAIN_METHODS, configFingerprint, resolveRetrainConfig } from '../engine/train';
import type { RetrainConfig, RetrainState } from '../engine/train';
import { builtinMnist } from '../data/mnist.node';
import { readRecord } from '../jobs/record';
import { latestCheckpoint, modelJsonBytes, repairedModel } from '../jobs/retrain';
import { runRetrainLocally } from '../jobs/retrain-local.node';
import { DirStore } from '../storage/dir.node';
import { formatDefense, num, parseDefense, parseFlagged } from './args';
import { readData, readModelFiles } from './files';
import { parseFlags } from './suggest';
import type { ModelFiles } from './files';
import { startNodeEngine } from '../runtime/node';
import { createProgress } from './progress';
import { seconds } from './remote';
import { retrainOnServer } from './retrain-remote';

export const RETRAIN_HELP = `qaudit retrain --model path/to/model.json --method M --bits K --out DIR [options]

  --model FILE        float tfjs Layers model.json; its weight shards are read from the same folder
  --method M          ${RETRAIN_METHODS.join('|')}
  --bits K            bit width of the retrained model's kernels, 1..8
  --out DIR           writes model.json, weights.bin (uint8), loss.json; a checkpoint after every step in DIR/job
  --data SPEC         mnist (built-in training split, default), an .npz file with x and y, or a
                      folder (or .zip) of class folders of PNG/JPEG images
  --epochs N          passes over the training data (default 1)
  --max-batches N     cap on the job's mini-batches
  --batch-size N      samples per mini-batch (default 32)
  --lr X              Adam learning rate (default 0.001)
  --seed S            seed of every random draw (default 0)
  --per-channel       one quantization scale per output channel
  --defense SPEC      train with a nonlinear input mapping g in front of the network, as qaudit audit --defense takes
                      it: none (default), nonlinear (= staircase), staircase|sine|random[:param=value,...]; the
                      saved model does not contain g: audit it with the same --defense
  --quiet             no progress output
  Rerunning the same command resumes from the newest checkpoint; other settings or another model are refused.

  --server URL        run the job on a qaudit server instead: it checkpoints to its store, ends with a before/after
                      audit, and DIR receives model.json, weights.bin, loss.json, report.json, attestation.json
  --api-key KEY       API key of the server (default: env QAUDIT_API_KEY)
  --job ID            follow this retraining job instead of starting one (a rerun of the same command into the
                      same DIR re-attaches to the job it started, from DIR/job.json, unless that job failed)
  --eval-data SPEC    data of the closing audit: mnist (the server's test split, default), an .npz file or an id
  --audit-limit N     samples of the closing audit (default: the server's, 100)
  --poll-interval S   seconds between status requests (default 2)
  --timeout S         give up waiting after S seconds (default 86400; the job continues on the server)`;

const OPTIONS = {
  model: { type: 'string' }, method: { type: 'string' }, bits: { type: 'string' }, out: { type: 'string' },
  data: { type: 'string', default: 'mnist' }, epochs: { type: 'string' }, 'max-batches': { type: 'string' },
  'batch-size': { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' },
  'per-channel': { type: 'boolean', default: false }, defense: { type: 'string' }, quiet: { type: 'boolean', default: false },
  server: { type: 'string' }, 'api-key': { type: 'string' }, job: { type: 'string' }, 'eval-data': { type: 'string', default: 'mnist' }, 'audit-limit': { type: 'string' },
  'poll-interval': { type: 'string', default: '2' }, timeout: { type: 'string', default: '86400' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Settings field -> the flag a user typed, for error messages. */
const FLAG_OF: Record<string, string> = {
  method: '--method', bits: '--bits', epochs: '--epochs', maxBatches: '--max-batches', batchSize: '--batch-size',
  seed: '--seed', perChannel: '--per-channel', optimizer: '--lr', defense: '--defense',
};

const bad = (msg: string) => new EngineError('invalid_argument', msg);

function parseRetrainFlags(argv: string[]) {
  return parseFlags(argv, OPTIONS).values;
}
type Flags = ReturnType<typeof parseRetrainFlags>;

/** The engine's settings from the flags; a refusal names the flag, not the settings field. */
export function configFromFlags(f: Flags): RetrainConfig {
  if (f.method === undefined) throw bad(`--method: expected one of ${RETRAIN_METHODS.join('|')}, got nothing`);
  if (!(RETRAIN_METHODS as readonly string[]).includes(f.method)) throw bad(`--method: expected one of ${RETRAIN_METHODS.join('|')}, got '${f.method}'`);
  if (f.bits === undefined) throw bad('--bits: expected an integer in [1, 8], got nothing');
  const lr = num('--lr', f.lr);
  const input: Record<string, unknown> = {
    method: f.method, bits: num('--bits', f.bits), epochs: num('--epochs', f.epochs), maxBatches: num('--max-batches', f['max-batches']),
    batchSize: num('--batch-size', f['batch-size']), seed: num('--seed', f.seed), perChannel: f['per-channel'],
    optimizer: lr === undefined ? undefined : { name: 'adam', learningRate: lr },
    defense: parseDefense(f.defense),
  };
  return parseFlagged(input, resolveRetrainConfig, FLAG_OF);
}

/** What a stored job must match to be resumed: the settings, the model's bytes, the training data's bytes. */
function jobIdentity(c: RetrainConfig, model: { jsonBytes: Uint8Array; shards: Map<string, Uint8Array> }, data: Dataset | 'mnist') {
  const digest = (parts: ArrayBufferView[]) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    return h.digest('hex');
  };
  const names = [...model.shards.keys()].sort();
  return {
    config: configFingerprint(c), model: digest([model.jsonBytes, ...names.map((n) => model.shards.get(n)!)]),
    data: data === 'mnist' ? 'mnist' : digest([data.x, data.y]),
  };
}
type Identity = ReturnType<typeof jobIdentity>;

/** Writes a sibling temp file and renames it over `path`: a kill leaves the old file or the new one, never half. */
async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/**
 * The job's id in DIR: derived from its identity, which DIR/job.json records; a job of another identity is
 * refused, naming what differs.
 */
async function localJobId(dir: string, id: Identity): Promise<string> {
  const metaPath = join(dir, 'job.json');
  if (existsSync(metaPath)) {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as Partial<Identity>;
    const differs = (['config', 'model', 'data'] as const).filter((k) => meta[k] !== id[k]);
    if (differs.length > 0) {
      throw bad(`--out: expected the checkpoints in ${join(dir, 'job')} to come from the same settings, model and data, got a job with other ${differs.join(', ')}; ` +
        'rerun with the settings it was made with, or choose another --out');
    }
  } else {
    await writeAtomic(metaPath, JSON.stringify(id, null, 2) + '\n');
  }
  return createHash('sha256').update(JSON.stringify(id)).digest('hex').slice(0, 32);
}

const lossLabel = (loss: number | undefined) => `loss ${loss === undefined ? '-' : loss.toFixed(4)}`;

/** The request of POST /v1/retrain-jobs: the flags the user set, validated locally first by configFromFlags. */
function remoteBody(f: Flags, c: RetrainConfig): Record<string, unknown> {
  const settings: Record<string, unknown> = { perChannel: c.perChannel };
  if (f['max-batches'] !== undefined) settings.maxBatches = c.maxBatches;
  if (f['batch-size'] !== undefined) settings.batchSize = c.batchSize;
  if (f.lr !== undefined) settings.optimizer = c.optimizer;
  const limit = num('--audit-limit', f['audit-limit']);
  return {
    method: c.method, bits: c.bits, epochs: c.epochs, seed: c.seed, settings, ...(c.defense === 'none' ? {} : { defense: c.defense }),
    ...(limit === undefined ? {} : { audit: { limit } }),
  };
}

export async function retrainCommand(argv: string[]): Promise<number> {
  const flags = parseRetrainFlags(argv);
  if (flags.help) return (console.log(RETRAIN_HELP), 0);
  if (!flags.model) throw bad('--model: expected the path of a model.json, got nothing');
  const c = configFromFlags(flags);
  if (!flags.out) throw bad('--out: expected a directory for the retrained model, got nothing');
  if (flags.server) {
    return retrainOnServer({
      server: flags.server, apiKey: flags['api-key'] ?? process.env.QAUDIT_API_KEY, model: flags.model, out: flags.out, job: flags.job,
      data: flags.data, evalData: flags['eval-data'], body: remoteBody(flags, c), quiet: flags.quiet,
      pollMs: 1000 * seconds('--poll-interval', flags['poll-interval'], 600), timeoutMs: 1000 * seconds('--timeout', flags.timeout, 7 * 24 * 3600),
    });
  }
  for (const f of ['api-key', 'poll-interval', 'timeout', 'audit-limit', 'job'] as const) {
    if (argv.some((a) => a === `--${f}` || a.startsWith(`--${f}=`))) throw bad(`--${f}: expected it with --server, got no --server`);
  }
  if (flags['eval-data'] !== 'mnist') throw bad('--eval-data: expected it with --server (a local job runs no closing audit; run qaudit audit on DIR/model.json), got no --server');
  const dir = flags.out;
  const files = await readModelFiles(flags.model);
  const raw = flags.data === 'mnist' ? 'mnist' : await readData(flags.data);
  await startNodeEngine();
  const float = loadModel(files.json, files.shards);
  try {
    // A folder of images is read into a data set of the model's input shape here, so the job stores plain arrays.
    const data = raw === 'mnist' ? 'mnist' : fitSource(raw, float.inputShape, float.numClasses);
    return await runLocal(dir, files, data, c, float, flags.quiet);
  } finally {
    float.dispose();
  }
}

/** Runs or resumes the job in DIR, then writes the repaired model and the loss curve there. */
async function runLocal(dir: string, files: ModelFiles, data: Dataset | 'mnist', c: RetrainConfig, float: Model, quiet: boolean): Promise<number> {
  await mkdir(dir, { recursive: true });
  // The job runs as on the service (retrain-local.node.ts), its record and checkpoints in DIR/job.
  const jobId = await localJobId(dir, jobIdentity(c, files, data));
  const store = new DirStore(join(dir, 'job'));
  const resumed = await latestCheckpoint(store, jobId);
  if (resumed) process.stderr.write(`qaudit: resuming ${join(dir, 'job')} after step ${resumed.step} (${resumed.state.batches}/${resumed.state.plannedBatches} batches)\n`);
  const bar = createProgress(quiet, 'retraining', 'steps');
  let state: RetrainState;
  try {
    state = await runRetrainLocally({
      store, jobId, model: { modelJson: files.json, shards: [...files.shards] }, data, builtin: builtinMnist, config: c,
      log: (message, e) => process.stderr.write(`qaudit: ${message}: ${(e as Error)?.stack ?? e}\n`),
      onEvent: async (e) => {
        if (e.type !== 'progress') return;
        const loss = (await readRecord(store, jobId))?.retrain?.loss.at(-1)?.loss;
        bar.update(e.progress.done, e.progress.total, lossLabel(loss));
      },
    });
  } finally {
    bar.stop();
  }
  const saved = repairedModel(state, float, c);
  await writeAtomic(join(dir, 'weights.bin'), saved.weights);
  await writeAtomic(join(dir, 'model.json'), modelJsonBytes(saved.json)); // the server's serialization: one model id for the same weights
  const losses = state.metrics.map((m) => m.loss);
  await writeAtomic(join(dir, 'loss.json'), JSON.stringify(losses) + '\n');
  const last = losses.at(-1);
  const behind = c.defense === 'none' ? '' : `, behind ${formatDefense(c.defense)} (audit it with --defense ${formatDefense(c.defense)})`;
  console.log(`retrained: method ${c.method}, ${c.bits} bits${behind}, ${state.steps} steps (${state.batches} batches), final loss ${last === undefined ? 'n/a' : last.toFixed(4)} -> ${dir}`);
  return 0;
}
