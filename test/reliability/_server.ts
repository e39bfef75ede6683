// Reliability harness: the real app over real HTTP (@hono/node-server on loopback) on a real s3rver, with the real
// Node job driver on the main thread; the S3 server can be stopped and restarted on the same port and folder.
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app';
import { generateSigningKey, type SigningKey } from '../../src/attest/ed25519';
import { configFromEnv } from '../../src/config';
import type { RetryOptions } from '../../src/jobs/record';
import type { JobEvent } from '../../src/jobs/runner';
import type { JobDriver } from '../../src/jobs/types';
import { NodeJobDriver } from '../../src/jobs/runner.node';
import type { AppDeps } from '../../src/routes/deps';
import { startNodeEngine } from '../../src/runtime/node';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/storage/embedded';
import { S3Store } from '../../src/storage/s3';
import type { Store } from '../../src/storage/store';

/** A real s3rver in a temp folder that can be stopped and started again on the same port, objects kept. */
export class RestartableS3 {
  private running?: EmbeddedS3;
  private constructor(readonly directory: string, readonly bucket: string) {}

  static async start(bucket = 'qaudit-rel'): Promise<RestartableS3> {
    const s = new RestartableS3(await mkdtemp(join(tmpdir(), 'qaudit-rel-s3-')), bucket);
    s.running = await startEmbeddedS3({ directory: s.directory, bucket });
    return s;
  }

  get config() {
    return this.running!.config;
  }

  get port(): number {
    return Number(new URL(this.running!.endpoint).port);
  }

  /** Stops answering: every connection is dropped and the port refuses new ones. */
  async stop(): Promise<void> {
    await this.running?.stop();
  }

  async restart(): Promise<void> {
    const cfg = this.running!.config;
    this.running = await startEmbeddedS3({ directory: this.directory, bucket: this.bucket, port: this.port });
    this.running.config.endpoint = cfg.endpoint;
  }

  async destroy(): Promise<void> {
    await this.running?.stop().catch(() => undefined);
    await rm(this.directory, { recursive: true, force: true });
  }
}

/** Every key under `prefix` (all pages): the store's own helper, re-exported for the reliability tests. */
export { listAll } from '../../src/storage/store';

export interface RelServer {
  url: string;
  store: S3Store;
  s3: RestartableS3;
  driver: NodeJobDriver;
  signer: SigningKey;
  events: JobEvent[];
  /** Job ids in the order the app handed them to the driver: the order they entered its queue (admission). */
  admitted: string[];
  /** Job ids of the driver's events, in the order it emitted them (a job's events follow its start). */
  trace: string[];
  close(): Promise<void>;
}

export interface RelServerOptions {
  env?: Record<string, string>;
  retry?: RetryOptions;
  extra?: Partial<AppDeps>;
  /** Record job events (default true). */
  recordEvents?: boolean;
  /** Worker threads of the job driver (default 0: the main thread); > 0 needs the bundled worker at `workerPath`. */
  threads?: number;
  workerPath?: string;
}

let signer: Promise<SigningKey> | undefined;

/** Rate limits high enough that a test's own traffic never meets them (tests of the limits set their own). */
export const HIGH_LIMITS = {
  RATE_LIMIT_WRITES_PER_MINUTE: '1000000', RATE_LIMIT_WRITE_BURST: '1000000',
  RATE_LIMIT_READS_PER_MINUTE: '1000000', RATE_LIMIT_READ_BURST: '1000000',
  MAX_QUEUED_PER_KEY: '1000000', MAX_QUEUED_PER_ADDRESS: '1000000',
};

export async function startRelServer(o: RelServerOptions = {}): Promise<RelServer> {
  const s3 = await RestartableS3.start();
  const store = new S3Store(s3.config);
  const key = await (signer ??= generateSigningKey());
  await startNodeEngine();
  const events: JobEvent[] = [];
  const admitted: string[] = [];
  const trace: string[] = [];
  const driver = new NodeJobDriver({
    store, signingKey: key, threads: o.threads ?? 0, workerPath: o.workerPath, resume: false, retry: o.retry,
    onEvent: (e) => {
      trace.push(e.jobId);
      if (o.recordEvents !== false) events.push(e);
    },
  });
  // The driver's start() queues a job before its first await, so the order of these calls is the queue's order.
  const admitting: JobDriver = {
    start: (id, kind, owner) => { admitted.push(id); return driver.start(id, kind, owner); },
    pending: (owner) => driver.pending(owner),
    cancel: (id) => driver.cancel(id),
  };
  const app = createApp({
    store, driver: admitting, signer: key, config: configFromEnv({ ...HIGH_LIMITS, ...o.env }),
    startEngine: startNodeEngine,
    clientAddress: (c) => getConnInfo(c).remote.address,
    ...o.extra,
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((ok, fail) => server.once('listening', ok).once('error', fail));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, store, s3, driver, signer: key, events, admitted, trace,
    async close() {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await driver.close();
      store.close();
      await s3.destroy();
    },
  };
}
