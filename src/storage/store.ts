// The storage interface every backend implements, its typed error, and the key shape it accepts.

import { ClassifiedError } from '../engine/errors';
import type { ErrorCategory, ErrorJSON } from '../engine/errors';

export type StorageErrorCode =
  | 'not_found'
  | 'conflict'
  | 'unavailable'
  | 'invalid_key'
  | 'invalid_argument'
  | 'forbidden'
  | 'invalid_config'
  | 'storage_failure';

/** forbidden, invalid_config and storage_failure are the service's own misconfiguration or fault, not the caller's. */
export const STORAGE_CATEGORIES: Record<StorageErrorCode, ErrorCategory> = {
  not_found: 'not_found', conflict: 'conflict', unavailable: 'unavailable', invalid_key: 'bad_request',
  invalid_argument: 'bad_request', forbidden: 'internal', invalid_config: 'internal', storage_failure: 'internal',
};

export class StorageError extends ClassifiedError {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get category(): ErrorCategory {
    return STORAGE_CATEGORIES[this.code] ?? 'internal';
  }

  override toJSON(): ErrorJSON {
    return { ...super.toJSON(), ...(this.key === undefined ? {} : { pointer: this.key }) };
  }

  static fromJSON(j: Pick<ErrorJSON, 'code' | 'message' | 'pointer'>): StorageError {
    return new StorageError(j.code as StorageErrorCode, j.message, j.pointer);
  }
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag?: string;
  contentType?: string;
}

export interface PutOptions {
  contentType?: string;
  /** '*' asks the server to refuse (conflict) when the key exists. Only atomic on servers that honour
   *  conditional writes (AWS S3, R2); use putIfAbsent for a guarantee that holds everywhere. */
  ifNoneMatch?: '*';
}

export interface ListOptions {
  /** Opaque token from the previous page. */
  cursor?: string;
  /** Page size, 1..1000 (default 1000). */
  limit?: number;
}

export interface ListPage {
  /** Keys in ascending byte order. */
  keys: string[];
  /** Present only when more keys follow. */
  cursor?: string;
}

export interface PutIfAbsentResult {
  /** true: this call created the object; false: an identical object was already there. */
  written: boolean;
}

export interface Store {
  /** The object's bytes, or null when the key does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  head(key: string): Promise<ObjectInfo | null>;
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void>;
  /** Write-once: creates the object, or accepts an existing byte-identical one; any other existing
   *  object makes it throw StorageError('conflict') and leaves that object as it was. */
  putIfAbsent(key: string, bytes: Uint8Array, options?: { contentType?: string }): Promise<PutIfAbsentResult>;
  /** Deleting a missing key is not an error (S3 semantics). */
  delete(key: string): Promise<void>;
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
}

/** Every key under `prefix`, in ascending byte order, across all pages of the listing. */
export async function listAll(store: Store, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, { cursor });
    out.push(...page.keys);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

const KEY_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=-]*$/;
export const MAX_KEY_LENGTH = 512;

/** Keys are relative slash paths over a small alphabet: no '..', no empty segment, no leading '/'. */
export function checkKey(key: string): string {
  const ok =
    typeof key === 'string' &&
    key.length > 0 &&
    key.length <= MAX_KEY_LENGTH &&
    key.split('/').every((s) => KEY_SEGMENT.test(s) && !s.includes('..'));
  if (!ok) throw new StorageError('invalid_key', `expected a key of [A-Za-z0-9_.=-] segments, got ${JSON.stringify(String(key).slice(0, 80))}`);
  return key;
}

/** Prefixes may be empty or end in '/' or mid-segment, but use the same alphabet. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const body = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  checkKey(body);
  return prefix;
}

export function checkLimit(limit: number | undefined): number {
  const n = limit ?? 1000;
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new StorageError('invalid_argument', `expected a list limit in 1..1000, got ${limit}`);
  }
  return n;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
