// NPY format (numpy.lib.format, versions 1-3): a strict header parser and a writer, no eval.
import { EngineError, expect } from '../errors';

export type NpyDtype = 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'int64' | 'float32' | 'float64';
export type NpyData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/**
 * One decoded array, C order. `int64` data is held as Int32Array (refused when a value does
 * not fit: labels are the only int64 we expect); `bool` is held as Uint8Array of 0/1.
 */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** The longest header we read; numpy itself refuses headers over 10000 bytes by default. */
export const NPY_MAX_HEADER_BYTES = 65536;
/** More dimensions than any image or label array needs; numpy's own maximum is 64. */
export const NPY_MAX_NDIM = 32;

interface DtypeInfo { kind: string; size: number; make: (b: ArrayBuffer) => NpyData }
const DTYPES: Record<NpyDtype, DtypeInfo> = {
  bool: { kind: 'b1', size: 1, make: (b) => new Uint8Array(b) },
  uint8: { kind: 'u1', size: 1, make: (b) => new Uint8Array(b) },
  int8: { kind: 'i1', size: 1, make: (b) => new Int8Array(b) },
  uint16: { kind: 'u2', size: 2, make: (b) => new Uint16Array(b) },
  int16: { kind: 'i2', size: 2, make: (b) => new Int16Array(b) },
  uint32: { kind: 'u4', size: 4, make: (b) => new Uint32Array(b) },
  int32: { kind: 'i4', size: 4, make: (b) => new Int32Array(b) },
  int64: { kind: 'i8', size: 8, make: (b) => new Int32Array(b) },
  float32: { kind: 'f4', size: 4, make: (b) => new Float32Array(b) },
  float64: { kind: 'f8', size: 8, make: (b) => new Float64Array(b) },
};
const BY_KIND = new Map(Object.entries(DTYPES).map(([name, d]) => [d.kind, name as NpyDtype]));
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Decodes one .npy file; `where` names it in messages (e.g. "x.npy"). */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  expect(bytes.length >= 10 && MAGIC.every((m, i) => bytes[i] === m), 'invalid_data', `expected ${where} to start with the NPY magic string, got other bytes`);
  const major = bytes[6];
  expect(major >= 1 && major <= 3, 'invalid_data', `expected NPY format version 1, 2 or 3 in ${where}, got ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  expect(bytes.length >= 8 + lenBytes, 'invalid_data', `expected a complete NPY header in ${where}, got ${bytes.length} bytes`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  expect(headerLen <= NPY_MAX_HEADER_BYTES, 'limit_exceeded', `expected an NPY header of at most ${NPY_MAX_HEADER_BYTES} bytes in ${where}, got ${headerLen}`);
  expect(start + headerLen <= bytes.length, 'invalid_data', `expected a complete NPY header in ${where}, got a file of ${bytes.length} bytes`);
  const header = parseHeader(latin1(bytes.subarray(start, start + headerLen)), where);
  return decodeData(bytes.subarray(start + headerLen), header, where);
}

interface Header { dtype: NpyDtype; shape: number[] }

function decodeData(body: Uint8Array, h: Header, where: string): NpyArray {
  const info = DTYPES[h.dtype];
  let count = 1;
  for (const d of h.shape) count *= d;
  const need = count * info.size;
  expect(Number.isSafeInteger(need) && need === body.length, 'invalid_data',
    `expected ${where} data of ${fmtShape(h.shape)} x ${info.size} bytes = ${need} bytes, got ${body.length} bytes`);
  // Copy into a fresh, aligned buffer: the body sits at an arbitrary offset in the zip.
  // Hosts we run on (x86-64, arm64 V8) are little-endian, matching '<' data.
  const data = info.make(body.slice().buffer);
  if (h.dtype === 'int64') return { dtype: 'int64', shape: h.shape, data: narrowInt64(data as Int32Array, where) };
  if (h.dtype === 'bool') {
    const bad = (data as Uint8Array).findIndex((v) => v > 1);
    expect(bad < 0, 'invalid_data', `expected bool values 0 or 1 in ${where}, got ${data[bad]} at index ${bad}`);
  }
  return { dtype: h.dtype, shape: h.shape, data };
}

/** int64 pairs (lo, hi) to int32; in range exactly when hi is the sign extension of lo. */
function narrowInt64(pairs: Int32Array, where: string): Int32Array {
  const out = new Int32Array(pairs.length / 2);
  for (let i = 0; i < out.length; i++) {
    const lo = pairs[2 * i], hi = pairs[2 * i + 1];
    if (hi !== lo >> 31) throw new EngineError('invalid_data', `expected int64 values within int32 range in ${where}, got an out-of-range value at index ${i}`);
    out[i] = lo;
  }
  return out;
}

function parseHeader(text: string, where: string): Header {
  const dict = new HeaderParser(text, where).dict();
  const keys = Object.keys(dict).sort().join(',');
  expect(keys === 'descr,fortran_order,shape', 'invalid_data', `expected NPY header keys descr, fortran_order, shape in ${where}, got ${keys || 'none'}`);
  expect(typeof dict.descr === 'string', 'invalid_data', `expected a simple dtype in ${where}, got a structured dtype`);
  expect(dict.fortran_order === false, 'invalid_data', `expected fortran_order False in ${where} (C order), got ${String(dict.fortran_order)}; save with np.ascontiguousarray`);
  expect(Array.isArray(dict.shape), 'invalid_data', `expected a shape tuple in ${where}, got ${String(dict.shape)}`);
  return { dtype: dtypeOf(dict.descr, where), shape: dict.shape };
}

function dtypeOf(descr: string, where: string): NpyDtype {
  const order = descr[0], kind = descr.slice(1);
  const dtype = BY_KIND.get(kind);
  expect(dtype !== undefined && '<>|='.includes(order) && descr.length === 3, 'invalid_data',
    `expected a dtype among |u1 |i1 |b1 <u2 <i2 <u4 <i4 <i8 <f4 <f8 in ${where}, got '${descr}'`);
  if (DTYPES[dtype].size > 1) {
    expect(order !== '>', 'invalid_data', `expected little-endian data in ${where}, got big-endian '${descr}'; convert with arr.astype('<${kind}')`);
    expect(order === '<', 'invalid_data', `expected an explicit little-endian dtype in ${where}, got '${descr}'`);
  }
  return dtype;
}

type Value = string | boolean | number[];

/** Recursive-descent parser for the one Python literal numpy writes: {'k': v, ...}. */
class HeaderParser {
  private i = 0;
  constructor(private readonly s: string, private readonly where: string) {}

  dict(): Record<string, Value> {
    const out: Record<string, Value> = Object.create(null);
    this.eat('{');
    while (this.peek() !== '}') {
      const key = this.str();
      this.eat(':');
      expect(!(key in out), 'invalid_data', `expected each NPY header key once in ${this.where}, got '${key}' twice`);
      out[key] = this.value();
      if (this.peek() !== ',') break;
      this.eat(',');
    }
    this.eat('}');
    expect(this.s.slice(this.i).trim() === '', 'invalid_data', `expected only padding after the NPY header dict in ${this.where}, got more text`);
    return out;
  }

  private value(): Value {
    const c = this.peek();
    if (c === "'" || c === '"') return this.str();
    if (c === '(') return this.tuple();
    for (const [word, v] of [['True', true], ['False', false]] as const) {
      if (this.s.startsWith(word, this.i)) { this.i += word.length; return v; }
    }
    throw this.fail(c === '[' ? 'a simple dtype, got a structured dtype list' : `a string, tuple or boolean, got '${c}'`);
  }

  private tuple(): number[] {
    const dims: number[] = [];
    this.eat('(');
    while (this.peek() !== ')') {
      const m = /^\d{1,16}L?/.exec(this.s.slice(this.i, this.i + 17));
      if (!m) throw this.fail(`a non-negative integer dimension, got '${this.s.slice(this.i, this.i + 8)}'`);
      this.i += m[0].length;
      const d = Number.parseInt(m[0], 10);
      expect(Number.isSafeInteger(d), 'invalid_data', `expected safe integer dimensions in ${this.where}, got ${m[0]}`);
      dims.push(d);
      expect(dims.length <= NPY_MAX_NDIM, 'limit_exceeded', `expected at most ${NPY_MAX_NDIM} dimensions in ${this.where}, got more`);
      if (this.peek() !== ',') break;
      this.eat(',');
    }
    this.eat(')');
    return dims;
  }

  private str(): string {
    const q = this.peek();
    if (q !== "'" && q !== '"') throw this.fail(`a quoted string, got '${q}'`);
    const end = this.s.indexOf(q, this.i + 1);
    if (end < 0) throw this.fail('a closing quote, got the end of the header');
    const v = this.s.slice(this.i + 1, end);
    expect(!v.includes('\\'), 'invalid_data', `expected plain strings in the NPY header of ${this.where}, got an escape`);
    this.i = end + 1;
    return v;
  }

  private peek(): string {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
    return this.s[this.i] ?? 'end of header';
  }

  private eat(c: string): void {
    if (this.peek() !== c) throw this.fail(`'${c}', got '${this.peek()}'`);
    this.i++;
  }

  private fail(what: string): EngineError {
    return new EngineError('invalid_data', `expected ${what} at offset ${this.i} of the NPY header in ${this.where}`);
  }
}

/** Encodes one array as NPY v1.0, the header padded to a multiple of 64 bytes as numpy does. */
export function writeNpy(arr: NpyArray, where: string): Uint8Array {
  const info = DTYPES[arr.dtype];
  expect(info !== undefined, 'invalid_argument', `expected a known dtype for ${where}, got '${arr.dtype}'`);
  const want = info.make(new ArrayBuffer(0)).constructor;
  expect(arr.data.constructor === want, 'invalid_argument', `expected ${where} data as ${want.name} for dtype ${arr.dtype}, got ${arr.data.constructor.name}`);
  const count = arr.shape.reduce((a, b) => a * b, 1);
  expect(arr.shape.every((d) => Number.isSafeInteger(d) && d >= 0) && count === arr.data.length, 'invalid_argument',
    `expected ${where} data of length ${count} for shape ${fmtShape(arr.shape)}, got ${arr.data.length}`);
  expect(arr.shape.length <= NPY_MAX_NDIM, 'invalid_argument', `expected at most ${NPY_MAX_NDIM} dimensions for ${where}, got ${arr.shape.length}`);
  const order = info.size === 1 ? '|' : '<';
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  const dict = `{'descr': '${order}${info.kind}', 'fortran_order': False, 'shape': ${shape}, }`;
  const header = dict.padEnd(Math.ceil((10 + dict.length + 1) / 64) * 64 - 11, ' ') + '\n';
  const body = encodeBody(arr);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC);
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}

function encodeBody(arr: NpyArray): Uint8Array {
  if (arr.dtype !== 'int64') return new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const pairs = new Int32Array(arr.data.length * 2);
  for (let i = 0; i < arr.data.length; i++) { pairs[2 * i] = arr.data[i]; pairs[2 * i + 1] = arr.data[i] < 0 ? -1 : 0; }
  return new Uint8Array(pairs.buffer);
}

export function fmtShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}
