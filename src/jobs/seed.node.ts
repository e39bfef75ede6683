// `npm run seed`: writes the built-in MNIST splits as .npz to the bucket (keys.builtinDataset('mnist-test' and
// 'mnist-train')), where the Workers driver reads them (a Worker bundle cannot carry the data set). Idempotent.
import { datasetToNpz } from '../engine/data/dataset';
import { loadBuiltinMnist } from '../data/mnist.node';
import { s3ConfigFromEnv } from '../storage/config';
import { startEmbeddedS3 } from '../storage/embedded';
import { S3Store } from '../storage/s3';
import { BUILTIN_MNIST_KEY, BUILTIN_MNIST_TRAIN_KEY } from './inputs';

export async function seedMnist(env: Record<string, string | undefined> = process.env): Promise<{ keys: string[]; bytes: number }> {
  const config = s3ConfigFromEnv(env);
  const embedded = config ? undefined : await startEmbeddedS3();
  try {
    const store = new S3Store(config ?? embedded!.config);
    const { test, train } = loadBuiltinMnist();
    let bytes = 0;
    for (const [key, ds] of [[BUILTIN_MNIST_KEY, test], [BUILTIN_MNIST_TRAIN_KEY, train]] as const) {
      const npz = datasetToNpz(ds);
      await store.put(key, npz, { contentType: 'application/octet-stream' });
      bytes += npz.byteLength;
    }
    return { keys: [BUILTIN_MNIST_KEY, BUILTIN_MNIST_TRAIN_KEY], bytes };
  } finally {
    await embedded?.stop();
  }
}
