// Reads a tfjs Layers model (model.json + the shards its manifest names) or an .onnx file, and evaluation data from disk.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { EngineError } from '../engine/errors';
import { ONNX_FILE, onnxDataFiles, onnxModelJson } from '../engine/model/files';
import { IMAGE_FOLDER_LIMITS } from '../engine/data/image-folder';
import { dataSourceFromBytes, type DataSource } from '../engine/data/source';
import { loadBuiltinMnist } from '../data/mnist.node';

export interface ModelFiles {
  json: unknown;
  shards: Map<string, Uint8Array>;
  /** model.json bytes, for the model's digest. */
  jsonBytes: Uint8Array;
}

/** Reads `model.json` and every shard named in its weights manifest, from the same folder. */
export async function readModelFiles(path: string): Promise<ModelFiles> {
  if (/\.onnx$/i.test(path)) {
    // The .onnx file itself (and the external data files it names, from its folder) under qaudit's ONNX model.json:
    // the deployed arithmetic, activation QDQ included, on every path (digest, upload, audit).
    const bytes = await readUserFile(path, 'model');
    const shards = new Map([[ONNX_FILE, bytes]]);
    for (const name of onnxDataFiles(bytes)) shards.set(name, await readUserFile(join(dirname(path), basename(name)), 'external data'));
    const jsonBytes = onnxModelJson([...shards.keys()].slice(1));
    return { json: JSON.parse(new TextDecoder().decode(jsonBytes)), shards, jsonBytes };
  }
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

/** `mnist` (the built-in test split), an `.npz` file, a zip of class folders of images, or such a folder. */
export async function readData(spec: string): Promise<DataSource> {
  if (spec === 'mnist' || spec === 'mnist-test') return loadBuiltinMnist().test;
  if (spec === 'mnist-train') return loadBuiltinMnist().train;
  const name = basename(resolve(spec));
  if (await isDirectory(spec)) return dataSourceFromBytes(await zipDirectory(spec), name);
  return dataSourceFromBytes(await readUserFile(spec, 'data'), name);
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

const ZIP_MTIME = '1980-01-01T00:00:00';
const IMAGE_EXT = /\.(png|jpe?g)$/i;

/**
 * A folder of class folders as the zip the API takes: paths relative to it, sorted, stored (images are
 * compressed already) with a fixed timestamp, so the same folder always gives the same bytes (and data set id).
 * Only image files are read; other files go in empty, to be counted as skipped.
 */
export async function zipDirectory(dir: string): Promise<Uint8Array> {
  const files: Zippable = {};
  let count = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { await walk(path); continue; }
      if (!e.isFile()) continue;
      if (++count > IMAGE_FOLDER_LIMITS.maxEntries) throw new EngineError('limit_exceeded', `expected at most ${IMAGE_FOLDER_LIMITS.maxEntries} files under ${dir}, got more`);
      let bytes: Uint8Array = new Uint8Array(0);
      if (IMAGE_EXT.test(e.name)) {
        const size = (await stat(join(dir, path))).size;
        if (size > IMAGE_FOLDER_LIMITS.maxFileBytes) throw new EngineError('limit_exceeded', `expected image files of at most ${IMAGE_FOLDER_LIMITS.maxFileBytes} bytes, got '${path}' of ${size}`);
        bytes = await readUserFile(join(dir, path), 'image');
      }
      files[path] = [bytes, { level: 0, mtime: ZIP_MTIME }];
    }
  };
  await walk('');
  return zipSync(files);
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
