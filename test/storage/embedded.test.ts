// The embedded s3rver: creates its folder and bucket, and keeps data across restarts on the same folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmbeddedS3 } from '../../src/storage/embedded';
import { S3Store } from '../../src/storage/s3';

describe('startEmbeddedS3', () => {
  it('serves a fresh folder on loopback and keeps objects after a restart', async () => {
    const root = await mkdtemp(join(tmpdir(), 'qaudit-emb-'));
    const directory = join(root, 'nested', 's3');
    try {
      const first = await startEmbeddedS3({ directory });
      expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(first.config.bucket).toBe('qaudit');
      const a = new S3Store(first.config);
      await a.put('jobs/x/state.json', new TextEncoder().encode('{"step":1}'));
      a.close();
      await first.stop();

      const second = await startEmbeddedS3({ directory });
      const b = new S3Store(second.config);
      expect(new TextDecoder().decode((await b.get('jobs/x/state.json'))!)).toBe('{"step":1}');
      b.close();
      await second.stop();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
