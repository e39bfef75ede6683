// MemoryStore runs the shared Store contract.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/storage/memory';
import { runStoreContract } from './store.contract';

runStoreContract('MemoryStore', () => new MemoryStore(), { atomicConditionalPut: true });

describe('MemoryStore', () => {
  it('copies on put and get, so callers cannot mutate stored bytes', async () => {
    const s = new MemoryStore();
    const b = new Uint8Array([1, 2, 3]);
    await s.put('k', b);
    b[0] = 9;
    const got = (await s.get('k'))!;
    got[1] = 9;
    expect(Array.from((await s.get('k'))!)).toEqual([1, 2, 3]);
  });
});
