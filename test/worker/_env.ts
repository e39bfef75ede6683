// The Worker's bindings in the workerd test project: S3 on a fixed loopback port (started by _s3-global.ts), an API
// key, and a signing key made when the config loads (tests read its public half from /v1/keys).
import { generateKeyPairSync } from 'node:crypto';

const port = 4599;
export const WORKER_S3 = {
  port,
  S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_REGION: 'us-east-1', S3_BUCKET: 'qaudit-worker-test',
  S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_FORCE_PATH_STYLE: 'true',
};
export const WORKER_API_KEY = 'worker-test-key-0123456789';

export function workerBindings(): Record<string, string> {
  const { port: _, ...s3 } = WORKER_S3;
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return { ...s3, API_KEYS: WORKER_API_KEY, SIGNING_KEY: JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }) };
}
