// SIGTERM with an audit running: the real Node server process (npm start's entry) stops within 10 s, leaves the
// audit's record running, and the next start resumes it to success with the chunks already stored kept.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin } from '../routes/_app';
import { ensureBuilt } from '../jobs/_build';
import { startServerProcess, type ServerProcess } from './_child';

type Server = ServerProcess;

const startChild = (env: Record<string, string>): Promise<Server> => startServerProcess(env);

async function audit(url: string, id: string): Promise<{ status: string; progress: { done: number; total: number } }> {
  return (await (await fetch(`${url}/v1/audits/${id}`)).json()) as never;
}

describe('SIGTERM with an audit running', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'qaudit-sigterm-'));
  }, 120_000);
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('stops within 10 s, and the audit resumes on the next start', { timeout: 240_000 }, async () => {
    const env = { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, SIGNING_KEY_FILE: join(dir, 'keys', 'k.json') };
    const first = await startChild(env);
    const form = new FormData();
    form.append('m', new File([bin(await readFile('examples/mnist-cnn-w4/model.json'))], 'model.json'));
    form.append('w', new File([bin(await readFile('examples/mnist-cnn-w4/weights.bin'))], 'weights.bin'));
    const model = ((await (await fetch(`${first.url}/v1/models`, { method: 'POST', body: form })).json()) as { id: string }).id;
    const res = await fetch(`${first.url}/v1/audits`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, data: 'mnist', limit: 256, attacks: ['fgsm', 'pgd'], steps: 10, bits: [4] }) });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { id: string }).id;
    let seen = await audit(first.url, id);
    while (seen.status !== 'running' || seen.progress.done < 1) {
      expect(seen.status).not.toMatch(/failed|succeeded/);
      await new Promise((r) => setTimeout(r, 100));
      seen = await audit(first.url, id);
    }

    const t0 = performance.now();
    first.proc.kill('SIGTERM');
    const outcome = await Promise.race([first.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000))]);
    const took = performance.now() - t0;
    if (outcome === 'still running') first.proc.kill('SIGKILL');
    console.log(`[sigterm] exited ${outcome} in ${Math.round(took)} ms with ${seen.progress.done}/${seen.progress.total} chunks done at the signal`);
    expect(outcome).toBe(0);
    expect(first.stderr()).toMatch(/qaudit: stopped\n/);
    expect(first.stderr()).not.toMatch(/forced/);

    const second = await startChild(env);
    try {
      const resumedAt = await audit(second.url, id);
      expect(resumedAt.status).toMatch(/running|queued/);
      expect(resumedAt.progress.done).toBeGreaterThanOrEqual(seen.progress.done);
      let now = resumedAt;
      while (now.status !== 'succeeded') {
        expect(now.status).toMatch(/running|queued/);
        await new Promise((r) => setTimeout(r, 250));
        now = await audit(second.url, id);
      }
      expect((await fetch(`${second.url}/v1/audits/${id}/report`)).status).toBe(200);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
