// Test helper: a real s3rver on a free loopback port in a fresh temp folder, removed on stop.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedS3 } from '../src/storage/embedded';
import type { S3StoreConfig } from '../src/storage/s3';

export async function startS3(bucket = 'qaudit-test'): Promise<{ endpoint: string; config: S3StoreConfig; stop(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'qaudit-s3-'));
  const s3 = await startEmbeddedS3({ directory, bucket });
  return {
    endpoint: s3.endpoint,
    config: s3.config,
    async stop() {
      await s3.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
