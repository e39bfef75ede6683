// saveLayersModel: a valid tfjs Layers model.json (Keras 2 style Functional) and one shard, weights.bin.
import { expect } from '../errors';
import { distinctValues, findGrid } from './grid';
import { kerasTopology } from './keras/export';
import { GraphModel } from './model';
import type { Model } from './types';

export interface SaveOptions {
  /**
   * 'uint8': every tensor whose values are exactly `min + scale * q` (q = 0..255) in float32, e.g. a kernel
   * on a symmetric k-bit grid (k <= 8), is stored as uint8; all others stay float32, so saving never
   * changes a value.
   */
  weights: 'float32' | 'uint8';
}

export const SHARD_NAME = 'weights.bin';

/** q with fround(q * scale + min) === v for every value (tfjs' decoding), or null when no such q in 0..255 exists. */
export function encodeUint8(v: Float32Array, min: number, scale: number): Uint8Array | null {
  if (!Number.isFinite(min) || !Number.isFinite(scale)) return null;
  const q = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const j = scale === 0 ? 0 : Math.round((v[i]! - min) / scale);
    if (!(j >= 0 && j <= 255) || Math.fround(j * scale + min) !== v[i]) return null;
    q[i] = j;
  }
  return q;
}

function nextFloat32(x: number, dir: 1 | -1): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, x);
  b.setInt32(0, b.getInt32(0) + dir * (x >= 0 ? 1 : -1));
  return b.getFloat32(0);
}

/** Candidate encodings: the known one first, then ones read off the values (a float32 upload of a twin). */
function candidates(v: Float32Array, known?: { min: number; scale: number }): { min: number; scale: number }[] {
  const out = known ? [known] : [];
  const grid = findGrid(distinctValues(v));
  if (!grid) return out;
  out.push({ min: grid.min, scale: grid.step });
  if (grid.symmetric && grid.levels % 2 === 1 && grid.levels > 1) {
    const m = (grid.levels - 1) / 2;
    const s = Math.fround(-grid.min / m);
    for (const c of [s, nextFloat32(s, 1), nextFloat32(s, -1)]) out.push({ min: -m * c, scale: c });
  }
  if (grid.levels === 2) out.push({ min: grid.min, scale: 2 * -grid.min });
  return out;
}

/** The model as tfjs Layers JSON plus weights.bin; a removed softmax stays removed (the file outputs logits), a preprocessing is not part of it. */
export function saveLayersModel(model: Model, opts: SaveOptions): { json: object; weights: Uint8Array } {
  expect(opts.weights === 'float32' || opts.weights === 'uint8', 'invalid_argument', `expected weights 'float32' or 'uint8', got ${String(opts.weights)}`);
  const meta = model instanceof GraphModel ? model.meta : new Map();
  const entries: object[] = [];
  const parts: Uint8Array[] = [];
  for (const info of model.summary.weights) {
    const v = model.weights[info.name]!.dataSync() as Float32Array;
    let q: Uint8Array | null = null;
    let enc: { min: number; scale: number } | undefined;
    if (opts.weights === 'uint8') {
      for (const c of candidates(v, meta.get(info.name)?.affine)) if ((q = encodeUint8(v, c.min, c.scale))) { enc = c; break; }
    }
    const base = { name: info.name, shape: info.shape, dtype: 'float32' };
    if (q && enc) {
      entries.push({ ...base, quantization: { dtype: 'uint8', min: enc.min, scale: enc.scale, original_dtype: 'float32' } });
      parts.push(q);
    } else {
      entries.push(base);
      const bytes = new Uint8Array(v.length * 4);
      const view = new DataView(bytes.buffer);
      v.forEach((x, i) => view.setFloat32(4 * i, x, true));
      parts.push(bytes);
    }
  }
  const weights = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((o, p) => (weights.set(p, o), o + p.length), 0);
  const json = {
    format: 'layers-model',
    generatedBy: 'qaudit',
    convertedBy: null,
    modelTopology: { ...kerasTopology(model.graph), keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: [SHARD_NAME], weights: entries }],
  };
  return { json, weights };
}
