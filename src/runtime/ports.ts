// Loopback ports for local tools (dev server, test servers): a preferred one when it is free, else any free one,
// so that several checkouts, test runs and dev servers can run side by side on one machine.
import { createServer } from 'node:net';

function tryListen(port: number): Promise<number | null> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(null));
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => done(got));
    });
  });
}

/**
 * `preferred` when nothing listens there, otherwise a port the OS picks. The port is free when this returns; a
 * process that races for it in between makes the later listen fail loudly rather than share it.
 */
export async function freePort(preferred = 0): Promise<number> {
  return (preferred ? await tryListen(preferred) : null) ?? (await tryListen(0))!;
}

/** A port from an environment variable when set (an explicit choice is kept), else `freePort(preferred)`. */
export async function portFromEnv(value: string | undefined, name: string, preferred = 0): Promise<number> {
  if (value === undefined || value === '') return freePort(preferred);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`expected ${name} to be a port number, got '${value}'`);
  return n;
}
