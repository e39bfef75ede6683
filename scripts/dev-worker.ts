// `npm run dev:worker`: the Worker locally in workerd (wrangler dev) with everything it needs on this machine:
// the embedded S3 server (s3rver on .data/dev-worker/s3, apart from `npm start`'s .data/s3 so that both can run)
// seeded with the built-in MNIST, the same signing key as `npm start`, and a development API key, all handed to
// wrangler through .data/dev-worker.env (not .dev.vars, which the Worker tests would pick up too).
// Ports: PORT (Worker, default 8788 when free), S3_PORT (default: any free port), INSPECTOR_PORT (default 9229
// when free); a busy default is replaced by a free port, an explicit one is kept.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSigningKey } from '../src/node';
import { startEmbeddedS3 } from '../src/storage/embedded';
import { portFromEnv } from '../src/runtime/ports';
import { seedMnist } from '../src/jobs/seed.node';

const port = String(await portFromEnv(process.env.PORT, 'PORT', 8788));
const inspector = String(await portFromEnv(process.env.INSPECTOR_PORT, 'INSPECTOR_PORT', 9229));
const s3 = await startEmbeddedS3({ port: await portFromEnv(process.env.S3_PORT, 'S3_PORT'), directory: '.data/dev-worker/s3' });
const vars: Record<string, string> = {
  S3_ENDPOINT: s3.endpoint,
  S3_REGION: 'us-east-1',
  S3_BUCKET: s3.config.bucket,
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
  S3_FORCE_PATH_STYLE: 'true',
};
await seedMnist(vars);
const apiKey = process.env.QAUDIT_API_KEY ?? `dev-${randomBytes(16).toString('hex')}`;
vars.API_KEYS = apiKey;
// The key `npm start` uses (created on first use); the Worker gets its private JWK as a secret.
await loadSigningKey(process.env);
vars.SIGNING_KEY = process.env.SIGNING_KEY ?? readFileSync(resolve(process.env.SIGNING_KEY_FILE ?? '.data/keys/signing-key.json'), 'utf8');
// dotenv: single-quoted values are taken literally (the JWK holds double quotes).
const envFile = '.data/dev-worker.env';
writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n', { mode: 0o600 });
console.log(`S3 (s3rver) on ${s3.endpoint}; Worker on http://127.0.0.1:${port} (inspector ${inspector}); writes need: Authorization: Bearer ${apiKey}`);
const wrangler = spawn('npx', ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', port, '--inspector-port', inspector, '--env-file', envFile], {
  stdio: 'inherit',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
});
const stop = () => wrangler.kill('SIGINT');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
wrangler.on('exit', async (code) => {
  await s3.stop();
  process.exit(code ?? 0);
});
