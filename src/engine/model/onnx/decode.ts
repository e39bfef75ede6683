// ONNX protobuf bytes -> ModelProto, and its tensors -> typed arrays: shapes checked against the data's length and
// the limits, external data only from the upload's other files under safe relative names.
import { EngineError, expect } from '../../errors';
import { MAX_PARAMETERS, MAX_RANK } from '../limits';
import type { StoredDtype } from '../types';
import { onnx, type AttributeProto, type Int64, type ModelProto, type NodeProto, type TensorProto } from './proto.js';

/** A constant: float tensors as Float32Array, integer ones (shapes, indices, quantized weights) as Float64Array. */
export interface Const {
  shape: number[];
  data: Float32Array | Float64Array;
  dtype: number;
  /** How a weight was stored in the file (int8/uint8 behind a DequantizeLinear). */
  storedAs: StoredDtype;
}

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
const DT_NAME: Record<number, string> = { 1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 16: 'bfloat16' };
const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 };
export const dtypeName = (t: number) => DT_NAME[t] ?? `type ${t}`;

/** An int64 field (number or Long-like) as a safe integer. */
export function int(v: Int64, what: string): number {
  const n = typeof v === 'number' ? v : v.high * 2 ** 32 + (v.unsigned ? v.low >>> 0 : v.low >>> 0);
  expect(Number.isSafeInteger(n), 'invalid_model', `expected ${what} to be an integer below 2^53, got ${n}`);
  return n;
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new EngineError('invalid_model', `expected an ONNX model (protobuf ModelProto), got bytes that do not decode: ${(e as Error).message}`);
  }
  expect(m.graph && m.graph.node.length > 0, 'invalid_model', 'expected an ONNX model with a graph of nodes, got none (is this an .onnx file?)');
  return m;
}

export function checkedShape(dims: Int64[], what: string): number[] {
  expect(dims.length <= MAX_RANK, 'limit_exceeded', `expected ${what} of rank at most ${MAX_RANK}, got rank ${dims.length}`);
  const shape = dims.map((d) => int(d, `a dimension of ${what}`));
  expect(shape.every((d) => d >= 0), 'invalid_model', `expected ${what} to have non-negative dimensions, got [${shape}]`);
  const n = shape.reduce((a, b) => a * b, 1);
  expect(n <= MAX_PARAMETERS, 'limit_exceeded', `expected ${what} to have at most ${MAX_PARAMETERS} elements, got [${shape}] (${n})`);
  return shape;
}

/** A safe relative file name for external data: no absolute paths, drive letters, backslashes or '..' segments. */
function safeName(loc: string, what: string): string {
  const parts = loc.split('/');
  const ok = loc.length > 0 && loc.length <= 255 && !loc.startsWith('/') && !/[\\:\0]/.test(loc) && parts.every((p) => p !== '..');
  expect(ok, 'invalid_model', `expected the external data of ${what} to be a file next to the model, got the path ${JSON.stringify(loc)}`);
  return parts.filter((p) => p !== '' && p !== '.').join('/');
}

function externalBytes(t: TensorProto, what: string, files: ReadonlyMap<string, Uint8Array>, size: number): Uint8Array {
  const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
  const name = safeName(kv.get('location') ?? '', what);
  const file = files.get(name);
  expect(file, 'invalid_model', `expected external data file '${name}' of ${what} in the upload (a zip holding the .onnx and its data), got none`);
  const offset = Number(kv.get('offset') ?? 0);
  const length = kv.has('length') ? Number(kv.get('length')) : size;
  expect(Number.isSafeInteger(offset) && offset >= 0 && length === size && offset + length <= file.length, 'invalid_model',
    `expected ${size} bytes of ${what} within '${name}' (${file.length} bytes), got offset ${kv.get('offset') ?? 0} and length ${kv.get('length') ?? 'unset'}`);
  return file.subarray(offset, offset + length);
}

function fromBytes(raw: Uint8Array, dtype: number, n: number): Float32Array | Float64Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === DT.FLOAT) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  if (dtype === DT.FLOAT16) return Float32Array.from({ length: n }, (_, i) => half(view.getUint16(2 * i, true)));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case DT.UINT8: case DT.BOOL: out[i] = view.getUint8(i); break;
      case DT.INT8: out[i] = view.getInt8(i); break;
      case DT.INT32: out[i] = view.getInt32(4 * i, true); break;
      case DT.INT64: out[i] = Number(view.getBigInt64(8 * i, true)); break;
      case DT.DOUBLE: out[i] = view.getFloat64(8 * i, true); break;
    }
  }
  return out;
}

function half(h: number): number {
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** A TensorProto as a Const; `what` names it in errors. */
export function tensorOf(t: TensorProto, what: string, files: ReadonlyMap<string, Uint8Array>): Const {
  const shape = checkedShape(t.dims, what);
  const n = shape.reduce((a, b) => a * b, 1);
  const dtype = t.dataType;
  expect(dtype in BYTES, 'unsupported_dtype', `expected ${what} as float, float16, double, int8, uint8, int32, int64 or bool, got ${dtypeName(dtype)}`);
  expect(!t.segment, 'unsupported_layer', `expected ${what} in one piece, got a segment`);
  const storedAs: StoredDtype = dtype === DT.INT8 ? 'int8' : dtype === DT.UINT8 ? 'uint8' : dtype === DT.FLOAT16 ? 'float16' : 'float32';
  let data: Float32Array | Float64Array;
  if (t.dataLocation === 1 || t.rawData.length > 0) {
    const raw = t.dataLocation === 1 ? externalBytes(t, what, files, n * BYTES[dtype]!) : t.rawData;
    expect(raw.length === n * BYTES[dtype]!, 'invalid_model', `expected ${n * BYTES[dtype]!} bytes of data for ${what} [${shape}] (${dtypeName(dtype)}), got ${raw.length}`);
    data = fromBytes(raw, dtype, n);
  } else {
    const field: ArrayLike<Int64> = dtype === DT.FLOAT ? t.floatData : dtype === DT.INT64 ? t.int64Data : dtype === DT.DOUBLE ? t.doubleData : t.int32Data;
    expect(field.length === n, 'invalid_model', `expected ${n} values for ${what} [${shape}] (${dtypeName(dtype)}), got ${field.length}`);
    if (dtype === DT.FLOAT) data = Float32Array.from(field as number[]);
    else if (dtype === DT.FLOAT16) data = Float32Array.from(field as number[], half);
    else data = Float64Array.from({ length: n }, (_, i) => int(field[i]!, `a value of ${what}`));
  }
  return { shape, data, dtype, storedAs };
}

/** Attribute lookup for one node, with typed getters and defaults. */
export function attrs(node: NodeProto) {
  const byName = new Map<string, AttributeProto>(node.attribute.map((a) => [a.name, a]));
  const what = (n: string) => `attribute '${n}' of node '${node.name || node.output[0]}' (${node.opType})`;
  return {
    has: (n: string) => byName.has(n),
    int: (n: string, d: number) => (byName.has(n) ? int(byName.get(n)!.i, what(n)) : d),
    float: (n: string, d: number) => (byName.has(n) ? byName.get(n)!.f : d),
    ints: (n: string, d: number[]) => (byName.has(n) ? byName.get(n)!.ints.map((v) => int(v, what(n))) : d),
    string: (n: string, d: string) => (byName.has(n) ? new TextDecoder().decode(byName.get(n)!.s) : d),
    tensor: (n: string) => byName.get(n)?.t ?? null,
    names: () => [...byName.keys()],
  };
}
export type Attrs = ReturnType<typeof attrs>;
