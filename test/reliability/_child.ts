// The real Node server (npm start's entry, dist/node.mjs) as a child process, up once it prints where it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { SERVER_PATH } from '../jobs/_build';

export interface ServerProcess { proc: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }

/** Starts `node [...nodeArgs] dist/node.mjs` with `env` over this process's; `ipc` adds an IPC channel. */
export async function startServerProcess(env: Record<string, string | undefined>, nodeArgs: string[] = [], ipc = false): Promise<ServerProcess> {
  const stdio: ('ignore' | 'pipe' | 'ipc')[] = ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc' as const] : [])];
  const proc = spawn(process.execPath, [...nodeArgs, SERVER_PATH], { env: { ...process.env, ...env }, stdio });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((ok) => proc.on('exit', (code) => ok(code)));
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    void exited.then((code) => fail(new Error(`server exited (${code}) before listening: ${err}`)));
  });
  return { proc, url, stderr: () => err, exited };
}
