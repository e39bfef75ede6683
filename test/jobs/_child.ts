// The process of the kill-and-resume tests (bundled by _build.ts): a NodeJobDriver on a real S3 server that
// resumes whatever jobs the store holds, logs each finished chunk (and, with QA_LOG_PROGRESS, each progress
// event: a retraining job's steps) as a JSON line, and exits when idle.
import { importPrivateKey } from '../../src/attest';
import type { PrivateJwk } from '../../src/attest';
import { S3Store } from '../../src/storage/s3';
import type { S3StoreConfig } from '../../src/storage/s3';
import { NodeJobDriver } from '../../src/jobs/runner.node';

const env = process.env;
const config = JSON.parse(env.QA_S3!) as S3StoreConfig;
const delay = Number(env.QA_DELAY_MS ?? 0);
const driver = new NodeJobDriver({
  store: new S3Store(config),
  signingKey: await importPrivateKey(JSON.parse(env.QA_KEY!) as PrivateJwk),
  threads: Number(env.QA_THREADS ?? 1),
  workerPath: env.QA_WORKER,
  log: (m, e) => console.error(m, e),
  onEvent: async (e) => {
    if (e.type !== 'chunk' && !(e.type === 'progress' && env.QA_LOG_PROGRESS)) return;
    process.stdout.write(`${JSON.stringify(e)}\n`);
    // Slows the run down so that the parent's SIGKILL lands mid-audit; results do not depend on timing.
    if (delay) await new Promise((r) => setTimeout(r, delay));
  },
});
await driver.resumed;
await driver.close();
process.exit(0);
