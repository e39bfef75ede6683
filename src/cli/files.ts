// Reads a tfjs Layers model (model.json + the shards its manifest names) and evaluation data from disk.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EngineError } from '../engine/errors';
import { datasetFromNpz } from '../engine/data/dataset';
import type { Dataset } from '../engine/data/types';
import { loadBuiltinMnist } from '../data/mnist.node';

export interface ModelFiles {
  json: unknown;
  shards: Map<string, Uint8Array>;
  /** model.json bytes, for the model's digest. */
  jsonBytes: Uint8Array;
}

/** Reads `model.json` and every shard named in its weights manifest, from the same folder. */
export async function readModelFiles(path: string): Promise<ModelFiles> {
  const jsonBytes = await readUserFile(path, 'model');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch (e) {
    throw new EngineError('invalid_model', `expected ${path} to be JSON, got a parse error: ${(e as Error).message}`);
  }
  const shards = new Map<string, Uint8Array>();
  const manifest = (json as { weightsManifest?: { paths?: unknown }[] })?.weightsManifest;
  for (const group of Array.isArray(manifest) ? manifest : []) {
    for (const p of Array.isArray(group?.paths) ? group.paths : []) {
      if (typeof p !== 'string') continue;
      // Shards are matched by file name and read only from the model's own folder.
      const name = basename(p);
      if (!shards.has(name)) shards.set(name, await readUserFile(join(dirname(path), name), 'weight shard'));
    }
  }
  return { json, shards, jsonBytes };
}

/** `mnist` (the built-in test split) or the path of an `.npz` file. */
export async function readData(spec: string): Promise<Dataset> {
  if (spec === 'mnist' || spec === 'mnist-test') return loadBuiltinMnist().test;
  if (spec === 'mnist-train') return loadBuiltinMnist().train;
  return datasetFromNpz(await readUserFile(spec, 'data'), basename(spec));
}

async function readUserFile(path: string, what: string): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new EngineError('invalid_argument', `expected a readable ${what} file at ${path}, got ${(e as Error).message}`);
  }
}
