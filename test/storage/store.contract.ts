// One contract suite that every Store implementation runs (hono router/common.case.test.ts style).
import { describe, expect, it } from 'vitest';
import { StorageError, type Store } from '../../src/storage/store';

const enc = (s: string) => new TextEncoder().encode(s);

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues is capped at 65536 bytes per call.
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

async function expectStorageError(p: Promise<unknown>, code: string): Promise<StorageError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(StorageError);
  expect((err as StorageError).code).toBe(code);
  return err as StorageError;
}

export interface StoreCaps {
  /** The backend makes put({ifNoneMatch:'*'}) atomic (AWS S3, R2, MemoryStore; not s3rver). */
  atomicConditionalPut: boolean;
}

/** Each test works under its own prefix so implementations may share one bucket. */
export function runStoreContract(name: string, makeStore: () => Promise<Store> | Store, caps: StoreCaps): void {
  describe(`Store contract: ${name}`, () => {
    let n = 0;
    const fresh = async () => ({ store: await makeStore(), p: `t${Date.now().toString(36)}x${n++}/` });

    it('put then get returns the bytes; head gives the size; delete removes', async () => {
      const { store, p } = await fresh();
      await store.put(`${p}a.json`, enc('{"a":1}'), { contentType: 'application/json' });
      expect(new TextDecoder().decode((await store.get(`${p}a.json`))!)).toBe('{"a":1}');
      const info = await store.head(`${p}a.json`);
      expect(info?.size).toBe(7);
      expect(info?.contentType).toBe('application/json');
      await store.delete(`${p}a.json`);
      expect(await store.get(`${p}a.json`)).toBeNull();
      expect(await store.head(`${p}a.json`)).toBeNull();
    });

    it('a missing key reads as null and deletes without error', async () => {
      const { store, p } = await fresh();
      expect(await store.get(`${p}missing`)).toBeNull();
      expect(await store.head(`${p}missing`)).toBeNull();
      await expect(store.delete(`${p}missing`)).resolves.toBeUndefined();
    });

    it('put overwrites; the empty object round-trips', async () => {
      const { store, p } = await fresh();
      await store.put(`${p}k`, enc('one'));
      await store.put(`${p}k`, enc('two'));
      expect(new TextDecoder().decode((await store.get(`${p}k`))!)).toBe('two');
      await store.put(`${p}empty`, new Uint8Array(0));
      expect((await store.get(`${p}empty`))!.byteLength).toBe(0);
    });

    it('keeps random binary data intact (1-5 MB)', async () => {
      const { store, p } = await fresh();
      const size = 1_000_000 + Math.floor(Math.random() * 4_000_000);
      const data = randomBytes(size);
      await store.put(`${p}blob.bin`, data);
      const back = (await store.get(`${p}blob.bin`))!;
      expect(back.byteLength).toBe(size);
      expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
    });

    it('lists a prefix over several pages, each key once, in order', async () => {
      const { store, p } = await fresh();
      const names = Array.from({ length: 23 }, (_, i) => `${p}items/${String(i).padStart(3, '0')}.json`);
      await Promise.all(names.map((k) => store.put(k, enc(k))));
      await store.put(`${p}other/x.json`, enc('x'));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list(`${p}items/`, { limit: 10, cursor });
        expect(page.keys.length).toBeLessThanOrEqual(10);
        seen.push(...page.keys);
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(names);
      expect((await store.list(`${p}nothing/`)).keys).toEqual([]);
    });

    it('putIfAbsent writes once, accepts identical bytes, refuses different bytes', async () => {
      const { store, p } = await fresh();
      const k = `${p}chunks/c0.json`;
      expect(await store.putIfAbsent(k, enc('{"v":1}'))).toEqual({ written: true });
      expect(await store.putIfAbsent(k, enc('{"v":1}'))).toEqual({ written: false });
      await expectStorageError(store.putIfAbsent(k, enc('{"v":2}')), 'conflict');
      expect(new TextDecoder().decode((await store.get(k))!)).toBe('{"v":1}');
    });

    it('concurrent putIfAbsent of the same bytes all succeed', async () => {
      const { store, p } = await fresh();
      const k = `${p}same.json`;
      const results = await Promise.all([0, 1, 2].map(() => store.putIfAbsent(k, enc('same'))));
      const written = results.filter((r) => r.written).length;
      if (caps.atomicConditionalPut) expect(written).toBe(1);
      else expect(written).toBeGreaterThanOrEqual(1);
      expect(new TextDecoder().decode((await store.get(k))!)).toBe('same');
    });

    it('concurrent putIfAbsent of different bytes: what stays belongs to a writer told it wrote', async () => {
      const { store, p } = await fresh();
      const k = `${p}race.json`;
      const bodies = ['A', 'B', 'C'];
      const outcomes = await Promise.all(bodies.map((b) =>
        store.putIfAbsent(k, enc(b)).then((r) => ({ b, ok: r.written }), (e: unknown) => {
          expect((e as StorageError).code).toBe('conflict');
          return { b, ok: false };
        })));
      const winners = outcomes.filter((o) => o.ok).map((o) => o.b);
      if (caps.atomicConditionalPut) expect(winners.length).toBe(1);
      const final = new TextDecoder().decode((await store.get(k))!);
      expect(winners).toContain(final);
    });

    it('put with ifNoneMatch creates, and refuses an existing key where the backend is atomic', async () => {
      const { store, p } = await fresh();
      await store.put(`${p}once`, enc('a'), { ifNoneMatch: '*' });
      if (caps.atomicConditionalPut) {
        await expectStorageError(store.put(`${p}once`, enc('b'), { ifNoneMatch: '*' }), 'conflict');
      }
      expect(new TextDecoder().decode((await store.get(`${p}once`))!)).toBe('a');
    });

    it('rejects malformed keys before any I/O', async () => {
      const { store } = await fresh();
      for (const bad of ['', '/abs', 'a/../b', 'a//b', 'a b', 'x/..', 'é']) {
        await expectStorageError(store.get(bad), 'invalid_key');
      }
      await expectStorageError(store.list('a', { limit: 0 }), 'invalid_argument');
    });
  });
}
