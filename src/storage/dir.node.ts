// A Store on a local directory (Node): one file per key, written to a temp file and renamed, so a killed writer
// leaves the old object or the new one. Runs local jobs whose steps must outlive the process (`qaudit retrain`).
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  bytesEqual, checkKey, checkLimit, checkPrefix, StorageError,
  type ListOptions, type ListPage, type ObjectInfo, type PutIfAbsentResult, type PutOptions, type Store,
} from './store';

const missing = (e: unknown) => (e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR';

export class DirStore implements Store {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  /** The content type lives beside the object in a dot file (keys never start with a dot, so listings skip it). */
  private typePath(path: string): string {
    return join(dirname(path), `.${path.slice(dirname(path).length + 1)}.type`);
  }

  async get(key: string): Promise<Uint8Array | null> {
    const path = this.path(key);
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      if (missing(e)) return null;
      throw new StorageError('storage_failure', `expected to read ${key}, got ${(e as Error).message}`, key);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const path = this.path(key);
    try {
      const s = await stat(path);
      if (!s.isFile()) return null;
      const contentType = await readFile(this.typePath(path), 'utf8').catch(() => undefined);
      return { key, size: s.size, ...(contentType ? { contentType } : {}) };
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
  }

  /** Writes a temp file beside `path` (same file system, so rename and link are atomic) and returns its name. */
  private async temp(path: string, bytes: Uint8Array, contentType?: string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, bytes);
    if (contentType) await writeFile(this.typePath(path), contentType);
    return tmp;
  }

  async put(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
    const path = this.path(key);
    if (options.ifNoneMatch === '*') {
      const { written } = await this.putIfAbsent(key, bytes, options);
      if (!written) throw new StorageError('conflict', `expected no object at ${key}, got an existing one`, key);
      return;
    }
    await rename(await this.temp(path, bytes, options.contentType), path);
  }

  async putIfAbsent(key: string, bytes: Uint8Array, options: { contentType?: string } = {}): Promise<PutIfAbsentResult> {
    const path = this.path(key);
    const tmp = await this.temp(path, bytes, options.contentType);
    try {
      // link() fails when the name exists: create-if-absent in one step.
      await link(tmp, path);
      return { written: true };
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
      const existing = await readFile(path);
      if (bytesEqual(new Uint8Array(existing), bytes)) return { written: false };
      throw new StorageError('conflict', `expected absent or identical content at ${key}, got different content`, key);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    await rm(path, { force: true });
    await rm(this.typePath(path), { force: true });
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    checkPrefix(prefix);
    const limit = checkLimit(options.limit);
    // Only the folder the prefix names needs walking; the rest of the prefix filters names.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const all = (await this.walk(join(this.root, ...base.split('/').filter(Boolean))))
      .map((p) => relative(this.root, p).split(sep).join('/'))
      .filter((k) => k.startsWith(prefix) && (options.cursor === undefined || k > options.cursor))
      .sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    const keys = all.slice(0, limit);
    return all.length > limit ? { keys, cursor: keys[keys.length - 1] } : { keys };
  }

  private async walk(dir: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (missing(e)) return [];
      throw e;
    }
    const out: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) out.push(...(await this.walk(p)));
      else out.push(p);
    }
    return out;
  }
}
