// S3Store against a real s3rver over HTTP: the shared contract, error mapping and the write-once guard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3Store } from '../../src/storage/s3';
import { StorageError } from '../../src/storage/store';
import { startS3 } from '../_s3';
import { runStoreContract } from './store.contract';

let s3: Awaited<ReturnType<typeof startS3>>;
const stores: S3Store[] = [];
const make = (over: Partial<ConstructorParameters<typeof S3Store>[0]> = {}) => {
  const s = new S3Store({ ...s3.config, ...over });
  stores.push(s);
  return s;
};

beforeAll(async () => { s3 = await startS3(); });
afterAll(async () => {
  for (const s of stores) s.close();
  await s3.stop();
});

// s3rver ignores If-None-Match (PLATFORM.md), so the contract runs without the atomic guarantee.
runStoreContract('S3Store on s3rver', () => make(), { atomicConditionalPut: false });

describe('S3Store specifics', () => {
  it('maps an unreachable server to a retryable StorageError("unavailable")', async () => {
    // Port 1 on loopback refuses connections; 2 attempts keep the backoff short.
    const dead = make({ endpoint: 'http://127.0.0.1:1', maxAttempts: 2 });
    for (const call of [() => dead.get('a'), () => dead.put('a', new Uint8Array(1)), () => dead.list('')]) {
      const err = await call().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).code).toBe('unavailable');
      expect((err as StorageError).retryable).toBe(true);
    }
  });

  it('reports a missing bucket as a storage failure, not as a missing object', async () => {
    const wrong = make({ bucket: 'no-such-bucket' });
    const err = await wrong.get('a').then(() => null, (e: unknown) => e);
    expect((err as StorageError).code).toBe('storage_failure');
    expect((err as StorageError).message).toMatch(/expected bucket no-such-bucket to exist/);
  });

  it('putIfAbsent never overwrites even though s3rver would accept the conditional PUT', async () => {
    const store = make();
    await store.putIfAbsent('wo/x.json', new TextEncoder().encode('first'));
    // The raw SDK shows the server itself does not refuse: this is what putIfAbsent must guard against.
    await store.client.send(new PutObjectCommand({ Bucket: s3.config.bucket, Key: 'wo/raw', Body: 'a', IfNoneMatch: '*' }));
    await store.client.send(new PutObjectCommand({ Bucket: s3.config.bucket, Key: 'wo/raw', Body: 'b', IfNoneMatch: '*' }));
    expect(new TextDecoder().decode((await store.get('wo/raw'))!)).toBe('b');
    const err = await store.putIfAbsent('wo/x.json', new TextEncoder().encode('second')).then(() => null, (e: unknown) => e);
    expect((err as StorageError).code).toBe('conflict');
    expect(new TextDecoder().decode((await store.get('wo/x.json'))!)).toBe('first');
  });
});
