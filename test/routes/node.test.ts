// The Node entry with no configuration: embedded s3rver, a signing key created once and kept, loopback only.
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/node';
import { multipart, tinyModel } from './_app';

describe('startServer', () => {
  it('serves on loopback with an embedded store and keeps its signing key across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qaudit-node-'));
    const env = { PORT: '0', DATA_DIR: dir, SIGNING_KEY_FILE: join(dir, 'keys', 'signing-key.json') };
    try {
      const first = await startServer(env);
      expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${first.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
      const up = await fetch(`${first.url}/v1/models`, { method: 'POST', body: multipart(tinyModel()) });
      expect(up.status).toBe(201);
      const { id } = await up.json() as { id: string };
      const kid1 = (await (await fetch(`${first.url}/v1/keys`)).json() as { keys: { kid: string }[] }).keys[0]!.kid;
      await first.close();
      expect((await stat(env.SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);

      const second = await startServer(env);
      const kid2 = (await (await fetch(`${second.url}/v1/keys`)).json() as { keys: { kid: string }[] }).keys[0]!.kid;
      expect(kid2).toBe(kid1);
      expect((await fetch(`${second.url}/v1/models/${id}`)).status).toBe(200);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
