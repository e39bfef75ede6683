// globalSetup of the workerd project: a real s3rver on the loopback port the Worker's S3_* bindings name
// (vitest.config.ts), seeded with the built-in MNIST splits as `npm run seed` does, removed afterwards; and the
// files of the published MobileNetV2 fixture and of ONNX models, which tests inside workerd cannot read from disk
// (inject('mobilenet'), inject('onnx')).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedMnist } from '../../src/jobs/seed.node';
import { startEmbeddedS3 } from '../../src/storage/embedded';
import { workerS3 } from './_env';

export interface MobilenetFiles {
  /** model.json as text. */
  json: string;
  /** The weight shard, base64 (provided values must be serializable). */
  shard: string;
  /** One photograph (JPEG), base64. */
  image: string;
}

/** ONNX files, base64: the reference ResNet (28x28x1) with int8 QDQ weights, and a model with activation QDQ. */
export interface OnnxFiles {
  resnetInt8: string;
  activationQdq: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    mobilenet: MobilenetFiles;
    onnx: OnnxFiles;
  }
}

const fixture = (p: string) => readFile(new URL(`../fixtures/${p}`, import.meta.url));

type Provide = { provide(key: 'mobilenet', value: MobilenetFiles): void; provide(key: 'onnx', value: OnnxFiles): void };

export default async function setup(project: Provide): Promise<() => Promise<void>> {
  project.provide('mobilenet', {
    json: (await fixture('models/nsfwjs-mobilenet-v2/model.json')).toString('utf8'),
    shard: (await fixture('models/nsfwjs-mobilenet-v2/group1-shard1of1.bin')).toString('base64'),
    image: (await fixture('images/natural/unlabeled/coffee.jpg')).toString('base64'),
  });
  project.provide('onnx', {
    resnetInt8: (await fixture('models/resnet-mnist/onnx/model-int8.onnx')).toString('base64'),
    activationQdq: (await fixture('onnx/resnet-qdq-activations.onnx')).toString('base64'),
  });
  const directory = await mkdtemp(join(tmpdir(), 'qaudit-worker-s3-'));
  const { port, ...vars } = await workerS3();
  const s3 = await startEmbeddedS3({ directory, bucket: vars.S3_BUCKET, port });
  await seedMnist({ ...vars, S3_ENDPOINT: s3.endpoint });
  return async () => {
    await s3.stop();
    await rm(directory, { recursive: true, force: true });
  };
}
