// Every model format as the same files: a tfjs Layers model.json with its weight shards, or an .onnx file under a
// small model.json that names it (and its external-data files) as its weight files. Storage, digests, uploads and
// jobs handle both alike; loadModel picks the importer.
import { EngineError } from '../errors';
import { loadLayersModel, type LoadOptions } from './load';
import type { GraphModel } from './model';
import { decodeModel } from './onnx/decode';
import { loadOnnxModel } from './onnx/load';

/** The name the .onnx file is stored under, whatever it was called in the upload. */
export const ONNX_FILE = 'model.onnx';

/** model.json of an ONNX model: canonical bytes (key order fixed) naming the .onnx file first, then its data files. */
export function onnxModelJson(dataFiles: readonly string[]): Uint8Array {
  const paths = [ONNX_FILE, ...[...dataFiles].sort()];
  return new TextEncoder().encode(JSON.stringify({ format: 'onnx', generatedBy: 'qaudit', weightsManifest: [{ paths, weights: [] }] }));
}

export const isOnnxModelJson = (json: unknown): boolean => (json as { format?: unknown } | null)?.format === 'onnx';

/** The external-data files an .onnx file names (relative locations, each once, in first-use order). */
export function onnxDataFiles(bytes: Uint8Array): string[] {
  const graph = decodeModel(bytes).graph!;
  const names = new Set<string>();
  for (const t of graph.initializer) {
    if (t.dataLocation !== 1) continue;
    const loc = t.externalData.find((e) => e.key === 'location')?.value;
    if (loc) names.add(loc);
  }
  return [...names];
}

/** Loads a model from its files: model.json (text or parsed) and the files its manifest names, by name. */
export function loadModel(modelJson: string | unknown, files: ReadonlyMap<string, Uint8Array>, opts: LoadOptions = {}): GraphModel {
  // onnxModelJson's bytes, as text: the wrapper is recognised without parsing a (possibly large) Layers model.json.
  const parsed = typeof modelJson === 'string' && /^\{"format":"onnx"/.test(modelJson) ? JSON.parse(modelJson) : modelJson;
  if (!isOnnxModelJson(parsed)) return loadLayersModel(modelJson, files, opts);
  const onnx = files.get(ONNX_FILE);
  if (!onnx) throw new EngineError('invalid_model', `expected the ONNX model's file ${ONNX_FILE}, got none`);
  return loadOnnxModel(onnx, { ...opts, files });
}
