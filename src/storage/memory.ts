// In-memory Store for unit tests and single-process use; same contract as S3Store, atomic by construction.
import {
  bytesEqual, checkKey, checkLimit, checkPrefix, StorageError,
  type ListOptions, type ListPage, type ObjectInfo, type PutIfAbsentResult, type PutOptions, type Store,
} from './store';

interface Entry { bytes: Uint8Array; contentType?: string; etag: string }

export class MemoryStore implements Store {
  private readonly objects = new Map<string, Entry>();
  private version = 0;

  async get(key: string): Promise<Uint8Array | null> {
    const e = this.objects.get(checkKey(key));
    return e ? e.bytes.slice() : null;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const e = this.objects.get(checkKey(key));
    return e ? { key, size: e.bytes.byteLength, etag: e.etag, contentType: e.contentType } : null;
  }

  async put(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
    checkKey(key);
    if (options.ifNoneMatch === '*' && this.objects.has(key)) {
      throw new StorageError('conflict', `expected no object at ${key}, got an existing one`, key);
    }
    // Copy so later mutation of the caller's buffer cannot change stored data.
    this.objects.set(key, { bytes: bytes.slice(), contentType: options.contentType, etag: `"m${++this.version}"` });
  }

  async putIfAbsent(key: string, bytes: Uint8Array, options: { contentType?: string } = {}): Promise<PutIfAbsentResult> {
    const existing = this.objects.get(checkKey(key));
    if (!existing) {
      await this.put(key, bytes, options);
      return { written: true };
    }
    if (bytesEqual(existing.bytes, bytes)) return { written: false };
    throw new StorageError('conflict', `expected ${key} to be absent or identical, got different bytes`, key);
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(checkKey(key));
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    checkPrefix(prefix);
    const limit = checkLimit(options.limit);
    // The cursor is the last key already returned; keys sort by UTF-16 code unit, which equals byte order for our ASCII alphabet.
    const after = options.cursor ?? '';
    const all = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const keys = all.slice(0, limit);
    return all.length > limit ? { keys, cursor: keys[keys.length - 1] } : { keys };
  }
}
