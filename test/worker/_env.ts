// The Worker's bindings in the workerd test project: S3 on a loopback port (started by _s3-global.ts), an API key,
// and a signing key made when the config loads (tests read its public half from /v1/keys). The port is
// QAUDIT_TEST_S3_PORT when set, else a free one, recorded in that variable so that the global setup (same process)
// starts s3rver where the bindings point.
import { generateKeyPairSync } from 'node:crypto';
import { portFromEnv } from '../../src/runtime/ports';

export const WORKER_API_KEY = 'worker-test-key-0123456789';
/** A key of its own for the queue-cap test, whose jobs must not count against WORKER_API_KEY's cap. */
export const WORKER_CAP_KEY = 'worker-cap-key-0123456789';

export async function workerS3() {
  const port = await portFromEnv(process.env.QAUDIT_TEST_S3_PORT, 'QAUDIT_TEST_S3_PORT');
  process.env.QAUDIT_TEST_S3_PORT = String(port);
  return {
    port,
    S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_REGION: 'us-east-1', S3_BUCKET: 'qaudit-worker-test',
    S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_FORCE_PATH_STYLE: 'true',
  };
}

export async function workerBindings(): Promise<Record<string, string>> {
  const { port: _, ...s3 } = await workerS3();
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  // CHUNK_MEMORY_MB as a self-hosted workerd may set it: a 224x224 MobileNetV2 (test/worker/mobilenet.test.ts) needs
  // ~390 MB for one sample with a twin; Cloudflare's isolates have 128 MB, the default.
  // Write limits high enough that no test's own traffic meets them (the queue-cap test posts 20+ audits in a row);
  // the rate limiter is tested on Node with an injected clock.
  return {
    ...s3, API_KEYS: `${WORKER_API_KEY},${WORKER_CAP_KEY}`, CHUNK_MEMORY_MB: '512', SIGNING_KEY: JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }),
    RATE_LIMIT_WRITES_PER_MINUTE: '100000', RATE_LIMIT_WRITE_BURST: '100000',
  };
}
