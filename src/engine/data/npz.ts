// .npz (numpy.savez / savez_compressed) read and write, with documented limits for untrusted uploads.
import { zipSync } from 'fflate';
import { EngineError, expect } from '../errors';
import { parseNpy, writeNpy, type NpyArray } from './npy';
import { readEntry, readZipDirectory } from './zip';

export type { NpyArray, NpyData, NpyDtype } from './npy';

/** At most this many arrays in one .npz (an evaluation set needs two: x and y). */
export const NPZ_MAX_ENTRIES = 16;
/** At most this many uncompressed bytes over all entries (MNIST's 70k images are 55 MB as uint8). */
export const NPZ_MAX_TOTAL_BYTES = 256 * 1024 * 1024;
/** At most this many uncompressed bytes for one entry, as declared by the zip directory. */
export const NPZ_MAX_ENTRY_BYTES = 256 * 1024 * 1024;

export interface NpzLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxEntryBytes: number;
}
export const NPZ_LIMITS: Readonly<NpzLimits> = {
  maxEntries: NPZ_MAX_ENTRIES,
  maxTotalBytes: NPZ_MAX_TOTAL_BYTES,
  maxEntryBytes: NPZ_MAX_ENTRY_BYTES,
};

/**
 * Entry names: a plain file name ending in .npy, first character a letter or digit (so no
 * path separators, no `..`, no dot files, no `__proto__`).
 */
const ENTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\.npy$/;
/** Fixed zip timestamp (local time, 1980-01-01 as numpy writes) so equal arrays give equal bytes. */
const ZIP_MTIME = '1980-01-01T00:00:00';

/**
 * Parses an .npz into arrays keyed by entry name without `.npy`. Every declared size is checked
 * against `limits` before anything is inflated, and inflating stops when an entry exceeds its
 * declared size, so memory stays within the limits whatever the file says.
 */
export function parseNpz(bytes: Uint8Array, limits: Partial<NpzLimits> = {}): Record<string, NpyArray> {
  const lim = { ...NPZ_LIMITS, ...limits };
  const entries = readZipDirectory(bytes, lim.maxEntries);
  let total = 0;
  const seen = new Set<string>();
  for (const e of entries) {
    checkEntryName(e.name);
    expect(!seen.has(e.name), 'invalid_data', `expected each array once in the .npz, got '${e.name}' twice`);
    seen.add(e.name);
    expect(e.size <= lim.maxEntryBytes, 'limit_exceeded', `expected each array to be at most ${lim.maxEntryBytes} bytes uncompressed, got '${e.name}' declaring ${e.size}`);
    total += e.size;
  }
  expect(total <= lim.maxTotalBytes, 'limit_exceeded', `expected at most ${lim.maxTotalBytes} bytes uncompressed in the .npz, got ${total} declared`);
  const out: Record<string, NpyArray> = {};
  for (const e of entries) out[e.name.slice(0, -4)] = parseNpy(readEntry(bytes, e), e.name);
  return out;
}

function checkEntryName(name: string): void {
  if (ENTRY_NAME.test(name) && !name.includes('..')) return;
  const shown = JSON.stringify(name.slice(0, 80));
  if (/[/\\]|\.\./.test(name)) {
    throw new EngineError('invalid_data', `expected plain entry names like x.npy, got path ${shown} (path traversal refused)`);
  }
  throw new EngineError('invalid_data', `expected plain entry names like x.npy (letters, digits, _ . -), got ${shown}`);
}

export interface WriteNpzOptions {
  /** Deflate each entry (as numpy.savez_compressed); default false (stored, as numpy.savez). */
  compress?: boolean;
}

/** Writes arrays as an .npz that numpy.load reads; byte-identical for identical input. */
export function writeNpz(arrays: Record<string, NpyArray>, opts: WriteNpzOptions = {}): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 | 6; mtime: string }]> = {};
  for (const [key, arr] of Object.entries(arrays)) {
    const name = `${key}.npy`;
    expect(ENTRY_NAME.test(name) && !name.includes('..'), 'invalid_argument', `expected array names of letters, digits, _ . -, got ${JSON.stringify(key)}`);
    files[name] = [writeNpy(arr, name), { level: opts.compress ? 6 : 0, mtime: ZIP_MTIME }];
  }
  return zipSync(files);
}
