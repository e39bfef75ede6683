// The PyTorch side of the bench: exports the model's graph IR, the same weights (every variant), the inputs and the
// engine's logits, finds or installs Debian's python3-torch, runs scripts/compare/bench_torch.py and reads its figures.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { batch } from '../src/engine/data/dataset';
import type { Dataset } from '../src/engine/data/types';
import { writeNpz } from '../src/engine/data/npz';
import type { Model } from '../src/engine/model/types';

export const PYTHON = '/usr/bin/python3';

export interface TorchSettings {
  /** The bench model's id (for messages). */
  model: string;
  /** Largest max |torch - engine| / max |engine| of the float logits before timing. */
  logitsTolerance: number;
  threads: number[];
  batch: number;
  rateSteps: number;
  seconds: number;
  audit: boolean;
  samples: number;
  auditBatch: number;
  epsilons: number[];
  attacks: string[];
  variants: string[];
  pgdSteps: number;
  apgdSteps: number;
  stepSize: number;
  queries: number;
  seed: number;
  /** The weight keys in the order of the npz entries `${variant}__w${i}`. */
  weightKeys: string[];
}

export interface TorchResult {
  torch: string;
  torchattacks: string | null;
  rates: Record<string, { forward: number; pgd: number }>;
  audit: Record<string, number>;
  accuracy: Record<string, Record<string, number>> | null;
  maxRssBytes: number;
  /** max |torch - engine| / max |engine| of the float logits on the first `batch` inputs. */
  logitsRelDiff: number;
  /** The memory format PyTorch ran in (its faster one for PGD in a trial) and the trial's image-steps/s by format. */
  layout: 'contiguous' | 'channels_last';
  layoutTrial: Record<string, number>;
}

const hasTorch = () => existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** null when torch imports (installing it first as root when non-interactive), else why the PyTorch side is skipped. */
export function ensureTorch(log: (s: string) => void): string | null {
  if (hasTorch()) return null;
  const root = process.getuid?.() === 0;
  if (!root || process.stdin.isTTY) {
    return `the PyTorch side is skipped: ${PYTHON} cannot import torch; install Debian's python3-torch (apt-get install -y python3-torch python3-scipy)`;
  }
  log('installing python3-torch with apt-get (root, non-interactive) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', 'python3-torch', 'python3-scipy'], { stdio: 'ignore', env });
  return r.status === 0 && hasTorch() ? null : `the PyTorch side is skipped: apt-get install python3-torch failed (exit ${r.status})`;
}

type Npz = Parameters<typeof writeNpz>[0];

/** The first n samples, and the float model's logits of the first `logitsOf` of them. */
function inputs(model: Model, data: Dataset, n: number, logitsOf: number): Npz {
  const { x, y } = batch(data, 0, n);
  const z = tf.tidy(() => model.logits(tf.slice(x, 0, logitsOf)));
  const arrays: Npz = {
    x: { dtype: 'float32', shape: [...x.shape], data: x.dataSync() as Float32Array },
    y: { dtype: 'int32', shape: [n], data: y.dataSync() as Int32Array },
    logits: { dtype: 'float32', shape: [...z.shape], data: z.dataSync() as Float32Array },
  };
  tf.dispose([x, y, z]);
  return arrays;
}

/**
 * Runs bench_torch.py on the model's graph IR, the variants' weights (`float` first, the model itself) and the first
 * max(samples, batch) samples; it stops before timing unless its float logits agree with the engine's.
 */
export function runTorch(variants: Record<string, Model>, data: Dataset, s: Omit<TorchSettings, 'weightKeys'>): TorchResult {
  const dir = mkdtempSync(join(tmpdir(), 'qaudit-bench-'));
  const float = variants.float!;
  const arrays = inputs(float, data, Math.max(s.samples, s.batch), s.batch);
  const weightKeys = Object.keys(float.weights);
  for (const [v, m] of Object.entries(variants)) {
    weightKeys.forEach((k, i) => {
      const t = m.weights[k]!;
      arrays[`${v}__w${i}`] = { dtype: 'float32', shape: [...t.shape], data: t.dataSync() as Float32Array };
    });
  }
  writeFileSync(join(dir, 'graph.json'), JSON.stringify(float.graph));
  writeFileSync(join(dir, 'inputs.npz'), writeNpz(arrays));
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ ...s, weightKeys }));
  const env = { ...process.env, PYTHONPATH: [process.env.TORCHATTACKS_PATH, process.env.PYTHONPATH].filter(Boolean).join(':') };
  const script = resolve('scripts/compare/bench_torch.py');
  try {
    const py = spawnSync(PYTHON, [script, ...['graph.json', 'inputs.npz', 'settings.json', 'out.json'].map((f) => join(dir, f))], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (py.status !== 0) throw new Error(`expected bench_torch.py to exit 0, got ${py.status ?? py.signal}`);
    return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as TorchResult;
  } finally {
    // QAUDIT_BENCH_KEEP=1 keeps graph.json, inputs.npz and settings.json to rerun bench_torch.py by hand.
    if (process.env.QAUDIT_BENCH_KEEP) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
