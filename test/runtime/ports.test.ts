// Free loopback ports for the dev server and test servers: a busy default gives way, an explicit choice is kept.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, portFromEnv } from '../../src/runtime/ports';
import { workerS3 } from '../worker/_env';

const open: Server[] = [];
afterEach(() => open.splice(0).forEach((s) => s.close()));
async function occupy(): Promise<number> {
  const s = createServer();
  open.push(s);
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  return (s.address() as { port: number }).port;
}

describe('ports', () => {
  it('keeps a free preferred port and replaces a busy one', async () => {
    const busy = await occupy();
    const other = await freePort(busy);
    expect(other).not.toBe(busy);
    expect(other).toBeGreaterThan(0);
    expect(await freePort(other)).toBe(other);
  });

  it('takes an explicit port from the environment as is, and refuses a malformed one', async () => {
    const busy = await occupy();
    expect(await portFromEnv(String(busy), 'PORT', 8788)).toBe(busy);
    expect(await portFromEnv(undefined, 'PORT')).toBeGreaterThan(0);
    await expect(portFromEnv('http', 'S3_PORT')).rejects.toThrow("expected S3_PORT to be a port number, got 'http'");
  });

  it('gives the workerd tests a free S3 port unless QAUDIT_TEST_S3_PORT names one, and records it for the global setup', async () => {
    const saved = process.env.QAUDIT_TEST_S3_PORT;
    try {
      delete process.env.QAUDIT_TEST_S3_PORT;
      const picked = await workerS3();
      expect(picked.port).not.toBe(4599);
      expect(process.env.QAUDIT_TEST_S3_PORT).toBe(String(picked.port));
      expect((await workerS3()).S3_ENDPOINT).toBe(`http://127.0.0.1:${picked.port}`);
    } finally {
      if (saved === undefined) delete process.env.QAUDIT_TEST_S3_PORT;
      else process.env.QAUDIT_TEST_S3_PORT = saved;
    }
  });
});
