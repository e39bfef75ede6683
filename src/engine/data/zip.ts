// Zip reading for untrusted uploads (.npz, zips of images): our own central-directory parser (so every size is checked
// before any inflating) and a bounded streaming inflate from fflate.
import { Inflate } from 'fflate';
import { EngineError, expect } from '../errors';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; anything else is refused while reading the directory. */
  method: 0 | 8;
  compressedSize: number;
  /** Uncompressed size as declared by the central directory (not trusted: enforced while inflating). */
  size: number;
  crc: number;
  localOffset: number;
}

const SIG_EOCD = 0x06054b50, SIG_Z64_LOCATOR = 0x07064b50, SIG_Z64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50, SIG_LOCAL = 0x04034b50;
/** Compressed bytes fed to the inflater per push; deflate expands at most ~1032x, so one push yields at most ~4 MiB. */
const INFLATE_CHUNK = 4096;
/**
 * Deflate's best case is one 258-byte match in 2 bits (1032:1); a declared size beyond that is a
 * lie, refused before the output buffer is allocated, so a tiny file cannot reserve the limit.
 */
const MAX_DEFLATE_RATIO = 1032;

class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  check(at: number, len: number, what: string): void {
    if (at < 0 || at + len > this.bytes.length) throw truncated(what);
  }
  u16(at: number): number { this.check(at, 2, 'a field'); return this.view.getUint16(at, true); }
  u32(at: number): number { this.check(at, 4, 'a field'); return this.view.getUint32(at, true); }
  /** A 64-bit size; anything past 2^53 cannot be a real size here. */
  u64(at: number): number {
    const lo = this.u32(at), hi = this.u32(at + 4);
    expect(hi < 0x200000, 'invalid_data', `expected a zip64 size below 2^53, got one with high word ${hi}`);
    return hi * 0x100000000 + lo;
  }
}

function truncated(what: string): EngineError {
  return new EngineError('invalid_data', `expected a complete zip archive, got one truncated at ${what}`);
}

/** Lists the entries from the central directory; refuses more than `maxEntries` (of `what`) before reading them. */
export function readZipDirectory(bytes: Uint8Array, maxEntries: number, what = 'arrays in the .npz'): ZipEntry[] {
  const r = new Reader(bytes);
  const eocd = findEocd(r);
  expect(r.u16(eocd + 4) === 0 && r.u16(eocd + 6) === 0, 'invalid_data', 'expected a single-disk zip archive, got a multi-disk one');
  let count = r.u16(eocd + 10), cdOffset = r.u32(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || r.u32(eocd + 12) === 0xffffffff) {
    expect(eocd >= 20 && r.u32(eocd - 20) === SIG_Z64_LOCATOR, 'invalid_data', 'expected a zip64 end-of-directory locator, got none');
    const z = r.u64(eocd - 12);
    expect(r.u32(z) === SIG_Z64_EOCD, 'invalid_data', 'expected a zip64 end-of-directory record, got other bytes');
    count = r.u64(z + 32);
    cdOffset = r.u64(z + 48);
  }
  expect(count <= maxEntries, 'limit_exceeded', `expected at most ${maxEntries} ${what}, got ${count}`);
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    const { entry, next } = readCentral(r, at);
    entries.push(entry);
    at = next;
  }
  return entries;
}

function findEocd(r: Reader): number {
  const stop = Math.max(0, r.bytes.length - 22 - 0xffff);
  for (let at = r.bytes.length - 22; at >= stop; at--) {
    if (r.view.getUint32(at, true) === SIG_EOCD) return at;
  }
  throw new EngineError('invalid_data', 'expected a zip archive (an .npz as numpy.savez writes it, or a zip of class folders of images), got no end-of-directory record');
}

function readCentral(r: Reader, at: number): { entry: ZipEntry; next: number } {
  expect(r.u32(at) === SIG_CENTRAL, 'invalid_data', `expected a central directory header at byte ${at}, got other bytes`);
  const flags = r.u16(at + 8), method = r.u16(at + 10);
  const nameLen = r.u16(at + 28), extraLen = r.u16(at + 30), commentLen = r.u16(at + 32);
  r.check(at + 46, nameLen + extraLen, 'a central directory entry');
  const name = entryName(r.bytes.subarray(at + 46, at + 46 + nameLen));
  expect((flags & 1) === 0, 'invalid_data', `expected unencrypted entries, got encrypted '${name}'`);
  expect(method === 0 || method === 8, 'invalid_data', `expected entries stored or deflated, got compression method ${method} for '${name}'`);
  const e = { compressedSize: r.u32(at + 20), size: r.u32(at + 24), localOffset: r.u32(at + 42) };
  applyZip64(r, at + 46 + nameLen, extraLen, e);
  const entry: ZipEntry = { name, method, crc: r.u32(at + 16), ...e };
  return { entry, next: at + 46 + nameLen + extraLen + commentLen };
}

/** The zip64 extra field (id 1) carries, in this order, only the sizes whose 32-bit field is 0xffffffff. */
function applyZip64(r: Reader, at: number, len: number, e: { compressedSize: number; size: number; localOffset: number }): void {
  const end = at + len;
  while (at + 4 <= end) {
    const id = r.u16(at), size = r.u16(at + 2);
    let p = at + 4;
    if (id === 1) {
      for (const k of ['size', 'compressedSize', 'localOffset'] as const) {
        if (e[k] !== 0xffffffff) continue;
        expect(p + 8 <= at + 4 + size, 'invalid_data', 'expected a complete zip64 extra field, got a short one');
        e[k] = r.u64(p);
        p += 8;
      }
    }
    at += 4 + size;
  }
}

/** Where the entry's data starts, after its local header; checks the data lies inside the archive. */
function dataStart(r: Reader, e: ZipEntry): number {
  const at = e.localOffset;
  expect(r.u32(at) === SIG_LOCAL, 'invalid_data', `expected a local header for '${e.name}' at byte ${at}, got other bytes`);
  const nameLen = r.u16(at + 26), extraLen = r.u16(at + 28);
  r.check(at + 30, nameLen, 'a local header');
  expect(entryName(r.bytes.subarray(at + 30, at + 30 + nameLen)) === e.name, 'invalid_data',
    `expected the local header name to match '${e.name}', got a different name`);
  const start = at + 30 + nameLen + extraLen;
  r.check(start, e.compressedSize, `the data of '${e.name}'`);
  return start;
}

/**
 * The entry's bytes. The output buffer is the declared size, allocated by the caller's limits;
 * inflating stops as soon as the stream produces more than declared (a lying directory).
 */
export function readEntry(bytes: Uint8Array, e: ZipEntry): Uint8Array {
  const r = new Reader(bytes);
  const start = dataStart(r, e);
  const input = bytes.subarray(start, start + e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) {
    expect(e.compressedSize === e.size, 'invalid_data', `expected stored '${e.name}' to have equal sizes, got ${e.compressedSize} and ${e.size}`);
    out = input;
  } else {
    out = inflateBounded(input, e);
  }
  expect(crc32(out) === e.crc, 'invalid_data', `expected the CRC-32 of '${e.name}' to match the zip directory, got a mismatch (corrupt file)`);
  return out;
}

function inflateBounded(input: Uint8Array, e: ZipEntry): Uint8Array {
  expect(e.size <= input.length * MAX_DEFLATE_RATIO + 64, 'invalid_data',
    `expected '${e.name}' to declare a size deflate can reach from ${input.length} bytes, got ${e.size} (zip bomb?)`);
  const out = new Uint8Array(e.size);
  let written = 0;
  const inflater = new Inflate((chunk) => {
    if (written + chunk.length > e.size) {
      throw new EngineError('invalid_data', `expected '${e.name}' to inflate to its declared ${e.size} bytes, got more (zip bomb?)`);
    }
    out.set(chunk, written);
    written += chunk.length;
  });
  try {
    let p = 0;
    do {
      inflater.push(input.subarray(p, p + INFLATE_CHUNK), p + INFLATE_CHUNK >= input.length);
      p += INFLATE_CHUNK;
    } while (p < input.length);
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('invalid_data', `expected a valid deflate stream in '${e.name}', got: ${(err as Error).message}`);
  }
  expect(written === e.size, 'invalid_data', `expected '${e.name}' to inflate to its declared ${e.size} bytes, got ${written}`);
  return out;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Names as UTF-8 (what zip tools write today, with or without the language-encoding flag); invalid
 * bytes become U+FFFD. The .npz name rule then refuses anything non-ASCII; class folders may use any.
 */
const UTF8 = new TextDecoder('utf-8');
function entryName(b: Uint8Array): string {
  return UTF8.decode(b);
}
