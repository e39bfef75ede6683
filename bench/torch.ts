// The PyTorch side of the bench: exports the same weights (every variant) and inputs, finds or installs Debian's
// python3-torch, runs scripts/compare/bench_torch.py and reads its figures.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { batch } from '../src/engine/data/dataset';
import type { Dataset } from '../src/engine/data/types';
import { writeNpz } from '../src/engine/data/npz';
import type { Model } from '../src/engine/model/types';

export const PYTHON = '/usr/bin/python3';

export interface TorchSettings {
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
}

export interface TorchResult {
  torch: string;
  torchattacks: string | null;
  rates: Record<string, { forward: number; pgd: number }>;
  audit: Record<string, number>;
  accuracy: Record<string, Record<string, number>> | null;
  maxRssBytes: number;
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

/** Runs bench_torch.py on the variants' weights and the first max(samples, batch) samples. */
export function runTorch(variants: Record<string, Model>, data: Dataset, s: TorchSettings): TorchResult {
  const dir = mkdtempSync(join(tmpdir(), 'qaudit-bench-'));
  const n = Math.max(s.samples, s.batch);
  const { x, y } = batch(data, 0, n);
  const arrays: Parameters<typeof writeNpz>[0] = {
    x: { dtype: 'float32', shape: [...x.shape], data: x.dataSync() as Float32Array },
    y: { dtype: 'int32', shape: [n], data: y.dataSync() as Int32Array },
  };
  x.dispose();
  y.dispose();
  for (const [v, m] of Object.entries(variants)) {
    for (const [k, t] of Object.entries(m.weights)) {
      arrays[`${v}__${k.replace(/\//g, '__')}`] = { dtype: 'float32', shape: [...t.shape], data: t.dataSync() as Float32Array };
    }
  }
  writeFileSync(join(dir, 'inputs.npz'), writeNpz(arrays));
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(s));
  const env = { ...process.env, PYTHONPATH: [process.env.TORCHATTACKS_PATH, process.env.PYTHONPATH].filter(Boolean).join(':') };
  const script = resolve('scripts/compare/bench_torch.py');
  try {
    const py = spawnSync(PYTHON, [script, ...['inputs.npz', 'settings.json', 'out.json'].map((f) => join(dir, f))], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (py.status !== 0) throw new Error(`expected bench_torch.py to exit 0, got ${py.status ?? py.signal}`);
    return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as TorchResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
