// Node only: starts s3rver in-process on loopback as the default store of `npm start` and of tests.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import S3rver from 's3rver';
import type { S3StoreConfig } from './s3';

export interface EmbeddedS3Options {
  /** Folder holding the buckets; default `.data/s3` under the current working directory. */
  directory?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 'qaudit'; s3rver wants 3+ characters. */
  bucket?: string;
}

export interface EmbeddedS3 {
  endpoint: string;
  config: S3StoreConfig;
  stop(): Promise<void>;
}

export async function startEmbeddedS3(options: EmbeddedS3Options = {}): Promise<EmbeddedS3> {
  const directory = resolve(options.directory ?? '.data/s3');
  const bucket = options.bucket ?? 'qaudit';
  await mkdir(directory, { recursive: true });
  // configureBuckets creates the bucket folder if missing and keeps existing objects.
  const server = new S3rver({
    address: '127.0.0.1', port: options.port ?? 0, directory, silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const addr = await server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    endpoint,
    config: {
      endpoint, region: 'us-east-1', bucket, forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    async stop() {
      // Clients keep sockets alive; without this close() waits for them to time out.
      server.httpServer?.closeAllConnections();
      await server.close();
    },
  };
}
