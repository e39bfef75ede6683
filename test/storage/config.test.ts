// S3_* environment variables -> S3StoreConfig.
import { describe, expect, it } from 'vitest';
import { s3ConfigFromEnv } from '../../src/storage/config';
import { StorageError } from '../../src/storage/store';

describe('s3ConfigFromEnv', () => {
  it('returns null when no S3_* variable is set (embedded server)', () => {
    expect(s3ConfigFromEnv({ PATH: '/bin' })).toBeNull();
  });

  it('reads an R2-style configuration, path style by default with an endpoint', () => {
    expect(s3ConfigFromEnv({
      S3_ENDPOINT: 'https://acc.r2.cloudflarestorage.com', S3_REGION: 'auto', S3_BUCKET: 'audits',
      S3_ACCESS_KEY_ID: 'id', S3_SECRET_ACCESS_KEY: 'secret',
    })).toEqual({
      endpoint: 'https://acc.r2.cloudflarestorage.com', region: 'auto', bucket: 'audits',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' }, forcePathStyle: true,
    });
  });

  it('AWS without endpoint: virtual-hosted style, default credential chain, overridable', () => {
    const c = s3ConfigFromEnv({ S3_BUCKET: 'audits', S3_REGION: 'eu-west-1' })!;
    expect(c.forcePathStyle).toBe(false);
    expect(c.credentials).toBeUndefined();
    expect(s3ConfigFromEnv({ S3_BUCKET: 'audits', S3_FORCE_PATH_STYLE: 'true' })!.forcePathStyle).toBe(true);
  });

  it('names the variable that is wrong', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ S3_REGION: 'auto' }, /S3_BUCKET/],
      [{ S3_BUCKET: 'ab' }, /S3_BUCKET/],
      [{ S3_BUCKET: 'audits', S3_ENDPOINT: 'ftp://x' }, /S3_ENDPOINT/],
      [{ S3_BUCKET: 'audits', S3_ACCESS_KEY_ID: 'x' }, /S3_SECRET_ACCESS_KEY/],
      [{ S3_BUCKET: 'audits', S3_FORCE_PATH_STYLE: 'maybe' }, /S3_FORCE_PATH_STYLE/],
    ];
    for (const [env, re] of cases) {
      expect(() => s3ConfigFromEnv(env)).toThrow(re);
      try { s3ConfigFromEnv(env); } catch (e) { expect((e as StorageError).code).toBe('invalid_config'); }
    }
  });
});
