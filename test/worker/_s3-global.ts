// globalSetup of the workerd project: a real s3rver on the loopback port the Worker's S3_* bindings name
// (vitest.config.ts), seeded with the built-in MNIST splits as `npm run seed` does, removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedMnist } from '../../src/jobs/seed.node';
import { startEmbeddedS3 } from '../../src/storage/embedded';
import { workerS3 } from './_env';

export default async function setup(): Promise<() => Promise<void>> {
  const directory = await mkdtemp(join(tmpdir(), 'qaudit-worker-s3-'));
  const { port, ...vars } = await workerS3();
  const s3 = await startEmbeddedS3({ directory, bucket: vars.S3_BUCKET, port });
  await seedMnist({ ...vars, S3_ENDPOINT: s3.endpoint });
  return async () => {
    await s3.stop();
    await rm(directory, { recursive: true, force: true });
  };
}
