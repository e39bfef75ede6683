// `npm run seed`: writes the built-in MNIST test split as .npz to the bucket (keys.builtinDataset('mnist-test')),
// where the Workers driver reads it (a Worker bundle cannot carry the data set). Idempotent.
import { datasetToNpz } from '../engine/data/dataset';
import { loadBuiltinMnist } from '../data/mnist.node';
import { s3ConfigFromEnv } from '../storage/config';
import { startEmbeddedS3 } from '../storage/embedded';
import { S3Store } from '../storage/s3';
import { BUILTIN_MNIST_KEY } from './inputs';

export async function seedMnist(env: Record<string, string | undefined> = process.env): Promise<{ key: string; bytes: number }> {
  const config = s3ConfigFromEnv(env);
  const embedded = config ? undefined : await startEmbeddedS3();
  try {
    const store = new S3Store(config ?? embedded!.config);
    const npz = datasetToNpz(loadBuiltinMnist().test);
    await store.put(BUILTIN_MNIST_KEY, npz, { contentType: 'application/octet-stream' });
    return { key: BUILTIN_MNIST_KEY, bytes: npz.byteLength };
  } finally {
    await embedded?.stop();
  }
}
