// Reads the S3_* variables into an S3StoreConfig; null means "none set: use the embedded s3rver".
import type { S3StoreConfig } from './s3';
import { StorageError } from './store';

export type Env = Record<string, string | undefined>;

const VARS = ['S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_FORCE_PATH_STYLE'];

function bool(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new StorageError('invalid_config', `expected ${name} to be true or false, got ${JSON.stringify(value)}`);
}

export function s3ConfigFromEnv(env: Env): S3StoreConfig | null {
  const set = (n: string) => env[n] !== undefined && env[n] !== '';
  if (!VARS.some(set)) return null;
  const bucket = env.S3_BUCKET ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StorageError('invalid_config', `expected S3_BUCKET to be a bucket name of 3-63 chars [a-z0-9.-], got ${JSON.stringify(bucket)}`);
  }
  const endpoint = env.S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+(\/.*)?$/.test(endpoint)) {
    throw new StorageError('invalid_config', `expected S3_ENDPOINT to be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  if (set('S3_ACCESS_KEY_ID') !== set('S3_SECRET_ACCESS_KEY')) {
    throw new StorageError('invalid_config', 'expected S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together, got only one');
  }
  return {
    endpoint,
    region: env.S3_REGION || 'us-east-1',
    bucket,
    credentials: set('S3_ACCESS_KEY_ID')
      ? { accessKeyId: env.S3_ACCESS_KEY_ID!, secretAccessKey: env.S3_SECRET_ACCESS_KEY! }
      : undefined,
    // Custom endpoints (R2, MinIO, s3rver) take path style; AWS itself prefers virtual-hosted.
    forcePathStyle: bool('S3_FORCE_PATH_STYLE', env.S3_FORCE_PATH_STYLE, endpoint !== undefined),
  };
}
