// Key layout: every builder accepts only validated ids and yields keys the stores accept.
import { describe, expect, it } from 'vitest';
import { isId, keys, newId } from '../../src/storage/keys';
import { checkKey, StorageError } from '../../src/storage/store';

const SHA = 'a'.repeat(64);
const ID = '0123456789abcdef0123456789abcdef';

describe('keys', () => {
  it('builds the documented layout', () => {
    expect(keys.modelJson(SHA)).toBe(`models/${SHA}/model.json`);
    expect(keys.modelShard(SHA, 3)).toBe(`models/${SHA}/weights/3.bin`);
    expect(keys.dataset(SHA)).toBe(`datasets/${SHA}.npz`);
    expect(keys.builtinDataset('mnist-test')).toBe('builtin/datasets/mnist-test.npz');
    expect(keys.jobState(ID)).toBe(`jobs/${ID}/state.json`);
    expect(keys.jobChunk(ID, 'attack-fgsm-b0003')).toBe(`jobs/${ID}/chunks/attack-fgsm-b0003.json`);
    expect(keys.report(ID)).toBe(`reports/${ID}/report.json`);
    expect(keys.attestation(ID)).toBe(`reports/${ID}/attestation.json`);
    expect(keys.jobChunk(ID, 'x').startsWith(keys.jobChunksPrefix(ID))).toBe(true);
    expect(keys.queueSlot('tenant', SHA, ID)).toBe(`queue/tenant/${SHA}/${ID}`);
    expect(keys.queueSlot('client', SHA, ID).startsWith(keys.queuePrefix('client', SHA))).toBe(true);
    expect(checkKey(keys.queueSlot('client', SHA, ID))).toBe(keys.queueSlot('client', SHA, ID));
    expect(() => keys.queueSlot('other' as 'tenant', SHA, ID)).toThrow(StorageError);
    expect(() => keys.queueSlot('tenant', 'key:abc', ID)).toThrow(StorageError);
  });

  it('every built key passes the store key check', () => {
    for (const k of [keys.modelJson(SHA), keys.modelShard(SHA, 9999), keys.dataset(SHA), keys.builtinDataset('cifar10'),
      keys.jobState(ID), keys.jobChunk(ID, 'a_b-c'), keys.report(ID), keys.attestation(ID)]) {
      expect(checkKey(k)).toBe(k);
    }
  });

  it('refuses anything that is not a validated id', () => {
    const bad: (() => string)[] = [
      () => keys.modelJson('A'.repeat(64)), () => keys.modelJson('../x'), () => keys.dataset(SHA + '0'),
      () => keys.jobState('../../etc'), () => keys.jobState(ID.toUpperCase()), () => keys.report(''),
      () => keys.jobChunk(ID, '../state'), () => keys.jobChunk(ID, 'a/b'), () => keys.jobChunk(ID, 'A'),
      () => keys.modelShard(SHA, -1), () => keys.modelShard(SHA, 1.5), () => keys.modelShard(SHA, 10000),
      () => keys.builtinDataset('Mnist'), () => keys.builtinDataset('a.b'),
      () => keys.jobState(123 as unknown as string),
    ];
    for (const f of bad) {
      expect(f).toThrow(StorageError);
      try { f(); } catch (e) { expect((e as StorageError).code).toBe('invalid_key'); }
    }
  });

  it('newId gives distinct valid ids', () => {
    const ids = new Set(Array.from({ length: 100 }, newId));
    expect(ids.size).toBe(100);
    for (const i of ids) expect(isId(i)).toBe(true);
  });
});
