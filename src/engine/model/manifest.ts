// Weights-manifest decoding (float32, int32, and uint8/uint16/float16 quantization) with every byte count checked first.
import { EngineError, expect } from '../errors';
import { MAX_PARAMETERS, MAX_RANK, MAX_WEIGHT_TENSORS } from './limits';
import type { WeightEntry, WeightGroup } from './schema';
import type { StoredDtype } from './types';

export interface DecodedWeight {
  /** The manifest name, as uploaded. */
  name: string;
  shape: number[];
  values: Float32Array;
  storedAs: StoredDtype;
  /** `min + scale * q` of a uint8 / uint16 entry. */
  affine?: { min: number; scale: number };
  /** Manifest group ('optimizer' weights are decoded but not bound to layers). */
  group?: string;
  pointer: string;
}

interface Layout {
  entry: WeightEntry;
  pointer: string;
  storedAs: StoredDtype;
  size: number;
  bytes: number;
}

const BYTES: Record<StoredDtype, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, int8: 1 };

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** Shards keyed by their file name: the manifest's paths may carry directories the upload lost. */
function shardsByName(shards: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [path, bytes] of shards) {
    const name = baseName(path);
    expect(!out.has(name), 'invalid_model', `expected one weight file named '${name}', got two (${path} and another)`);
    out.set(name, bytes);
  }
  return out;
}

function elementCount(entry: WeightEntry, pointer: string): number {
  const ok = entry.shape.length <= MAX_RANK && entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
  expect(ok, 'invalid_model', `expected weight '${entry.name}' to have a shape of at most ${MAX_RANK} non-negative integers, got ${JSON.stringify(entry.shape)}`, `${pointer}.shape`);
  let n = 1;
  for (const d of entry.shape) {
    n *= d;
    // Checked per factor so the product cannot overflow before it is compared.
    if (n > MAX_PARAMETERS) throw new EngineError('limit_exceeded', `expected weight '${entry.name}' to have at most ${MAX_PARAMETERS} elements, got shape [${entry.shape}]`, `${pointer}.shape`);
  }
  return n;
}

function storedDtype(entry: WeightEntry, pointer: string): StoredDtype {
  const q = entry.quantization;
  expect(entry.dtype === 'float32' || entry.dtype === 'int32', 'unsupported_dtype', `expected weight '${entry.name}' to have dtype float32 or int32, got ${entry.dtype}`, `${pointer}.dtype`);
  if (!q) return entry.dtype;
  const qd = q.dtype;
  expect(qd === 'uint8' || qd === 'uint16' || qd === 'float16', 'unsupported_dtype', `expected the quantization dtype of weight '${entry.name}' to be uint8, uint16 or float16, got ${qd}`, `${pointer}.quantization.dtype`);
  if (qd !== 'float16') {
    const ok = Number.isFinite(q.min) && Number.isFinite(q.scale);
    expect(ok, 'invalid_model', `expected finite quantization min and scale for ${qd} weight '${entry.name}', got min ${q.min} and scale ${q.scale}`, `${pointer}.quantization`);
  }
  return qd;
}

function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return sign * f * 2 ** -24;
  if (e === 31) return f ? NaN : sign * Infinity;
  return sign * (1 + f / 1024) * 2 ** (e - 15);
}

/** Decodes like tf.io.decodeWeights: `q * scale + min` in double, stored as float32; little-endian. */
function decodeOne(l: Layout, view: DataView, offset: number): Float32Array {
  const out = new Float32Array(l.size);
  const q = l.entry.quantization;
  for (let i = 0; i < l.size; i++) {
    switch (l.storedAs) {
      case 'float32': out[i] = view.getFloat32(offset + 4 * i, true); break;
      case 'int32': out[i] = view.getInt32(offset + 4 * i, true); break;
      case 'uint8': out[i] = view.getUint8(offset + i) * q!.scale! + q!.min!; break;
      case 'uint16': out[i] = view.getUint16(offset + 2 * i, true) * q!.scale! + q!.min!; break;
      case 'float16': out[i] = half(view.getUint16(offset + 2 * i, true)); break;
    }
  }
  const bad = out.findIndex((v) => !Number.isFinite(v));
  expect(bad < 0, 'invalid_model', `expected finite values in weight '${l.entry.name}', got ${out[bad]} at index ${bad}`, l.pointer);
  return out;
}

function groupBytes(group: WeightGroup, files: Map<string, Uint8Array>, at: string): Uint8Array {
  const parts = group.paths.map((p, i) => {
    const bytes = files.get(baseName(p));
    expect(bytes, 'invalid_model', `expected a weight file '${baseName(p)}' (manifest path '${p}'), got no such file`, `${at}.paths[${i}]`);
    return bytes;
  });
  if (parts.length === 1) return parts[0]!;
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  return all;
}

function checkLength(layout: Layout[], got: number, group: WeightGroup, at: string): void {
  const want = layout.reduce((a, l) => a + l.bytes, 0);
  if (got === want) return;
  const files = group.paths.map(baseName).join(', ');
  let end = 0;
  const cut = layout.find((l) => (end += l.bytes) > got);
  const where = got < want ? `the data ends inside weight '${cut!.entry.name}'` : `${got - want} bytes follow the last weight`;
  throw new EngineError('invalid_model', `expected ${want} bytes in weight file(s) ${files} for the manifest's weights, got ${got}: ${where}`, at);
}

/** Every weight of the manifest, decoded to float32; shards are matched by file name. */
export function decodeManifest(groups: WeightGroup[], shards: ReadonlyMap<string, Uint8Array>): DecodedWeight[] {
  const files = shardsByName(shards);
  const count = groups.reduce((a, g) => a + g.weights.length, 0);
  expect(count <= MAX_WEIGHT_TENSORS, 'limit_exceeded', `expected at most ${MAX_WEIGHT_TENSORS} weight tensors, got ${count}`, 'weightsManifest');
  let total = 0;
  const out: DecodedWeight[] = [];
  groups.forEach((group, g) => {
    const at = `weightsManifest[${g}]`;
    const layout = group.weights.map((entry, i): Layout => {
      const pointer = `${at}.weights[${i}]`;
      const size = elementCount(entry, pointer);
      total += size;
      expect(total <= MAX_PARAMETERS, 'limit_exceeded', `expected at most ${MAX_PARAMETERS} weight elements in the model, got more by weight '${entry.name}'`, pointer);
      const storedAs = storedDtype(entry, pointer);
      return { entry, pointer, storedAs, size, bytes: size * BYTES[storedAs] };
    });
    const bytes = groupBytes(group, files, at);
    checkLength(layout, bytes.length, group, at);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const l of layout) {
      const q = l.entry.quantization;
      const affine = q && q.dtype !== 'float16' ? { min: q.min!, scale: q.scale! } : undefined;
      out.push({ name: l.entry.name, shape: l.entry.shape, values: decodeOne(l, view, offset), storedAs: l.storedAs, affine, group: l.entry.group, pointer: l.pointer });
      offset += l.bytes;
    }
  });
  return out;
}
