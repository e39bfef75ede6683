// Child process of sdk-warning.test.ts: a fresh process (no module or warning state shared with other test files)
// builds an S3 client the way `mode` says and prints the process warnings it saw as JSON on stdout.
import { S3Client, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { S3Store } from '../../src/storage/s3';

const mode = process.argv[2];
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
const cfg = { region: 'us-east-1', endpoint: 'http://127.0.0.1:1', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
if (mode === 'store') {
  const store = new S3Store({ ...cfg, bucket: 'qaudit', maxAttempts: 1 });
  await store.get('x').catch(() => undefined);
  store.close();
} else {
  // The control: the SDK on its own, so the test proves it would see the warning if S3Store did not silence it.
  const client = new S3Client({ ...cfg, maxAttempts: 1 });
  await client.send(new ListObjectsV2Command({ Bucket: 'qaudit' })).catch(() => undefined);
  client.destroy();
}
await new Promise((r) => setTimeout(r, 50)); // process warnings are emitted on the next tick
process.stdout.write(`${JSON.stringify({ warnings, env: process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? null })}\n`);
