// A Workers audit fanned out over child Workflow instances, with fake steps (Workflows' semantics) and a spawn that
// records the parts: each part runs every of-th chunk, the parent waits with durable sleeps, and the report bytes
// equal the Node runner's (a sequential run); a failing part fails the job, a cancel stops every part.
import { beforeAll, describe, expect, it } from 'vitest';

import type { SigningKey } from '../../src/attest';
import { keys } from '../../src/storage/keys';
import { MemoryStore } from '../../src/storage/memory';
import { requestCancel } from '../../src/jobs/lifecycle';
import type { JobDeps } from '../../src/jobs/lifecycle';
import type { ModelBytes } from '../../src/jobs/inputs';
import { readRecord } from '../../src/jobs/record';
import { runAuditWorkflow } from '../../src/jobs/workflow-run';
import { MIN_CHUNKS_PER_PART, partsOf, runAuditPart, workflowFanout } from '../../src/jobs/workflow-fanout';
import type { Dataset } from '../../src/engine/data/types';
import { seedJob, workflowFixture } from './_fixture';
import { FakeStep } from './_fakestep';

/** A parent with `maxParts`, whose spawned parts run (each on its own fake step) when the parent first sleeps. */
function harness(store: MemoryStore, key: SigningKey, maxParts: number) {
  const deps = async (): Promise<JobDeps> => ({ store, signingKey: key });
  const spawned: [number, number][] = [];
  const parts = new Map<number, FakeStep>();
  const parent = new FakeStep();
  const fanout = workflowFanout(maxParts, async (_id, part, of) => {
    spawned.push([part, of]);
    parts.set(part, new FakeStep());
  });
  const runParts = async (id: string, before?: (part: number) => Promise<void>) => {
    for (const [part, step] of parts) {
      await before?.(part);
      await runAuditPart(id, part, parts.size, step, deps);
    }
  };
  return { deps, spawned, parts, parent, fanout, runParts };
}

describe('a fanned-out Workflow audit', () => {
  let model: ModelBytes;
  let data: Dataset;
  let key: SigningKey;
  let expected: Uint8Array;
  beforeAll(async () => {
    ({ model, data, key, expected } = await workflowFixture());
  }, 60_000);

  it('runs every chunk once over the parts and signs the same report bytes as a sequential run', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const h = harness(store, key, 3);
    h.parent.onSleep = () => h.runParts(id);
    expect(await runAuditWorkflow(id, h.parent, h.deps, { fanout: h.fanout })).toBe('done');
    expect(h.spawned).toEqual([[0, 3], [1, 3], [2, 3]]);
    // The parent ran no chunk itself; the parts ran each chunk once, every third in plan order.
    expect([...h.parent.calls.keys()].some((k) => k.startsWith('chunk '))).toBe(false);
    const ran = [...h.parts.values()].flatMap((s) => [...s.calls.keys()].filter((k) => k.startsWith('chunk ')));
    expect(ran).toHaveLength(27);
    expect(new Set(ran).size).toBe(27);
    expect(partsOf([0, 1, 2, 3, 4, 5, 6], 1, 3)).toEqual([1, 4]);
    expect(h.parent.sleeps.length).toBeGreaterThanOrEqual(1);
    expect(Buffer.from((await store.get(keys.report(id)))!).equals(Buffer.from(expected))).toBe(true);
    expect((await readRecord(store, id))!).toMatchObject({ status: 'succeeded', progress: { done: 27, total: 27 } });
  });

  it('runs a small plan in its own instance (fewer than MIN_CHUNKS_PER_PART chunks a part)', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const h = harness(store, key, 27 / MIN_CHUNKS_PER_PART + 10);
    expect(h.fanout.parts({ chunks: new Array(MIN_CHUNKS_PER_PART * 2 - 1) } as never)).toBe(1);
    expect(h.fanout.parts({ chunks: new Array(27) } as never)).toBe(Math.floor(27 / MIN_CHUNKS_PER_PART));
  });

  it('stops every part and the parent after a cancel, and marks the job canceled', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const h = harness(store, key, 3);
    // Part 0 runs, then the cancel arrives: parts 1 and 2 stop at their first chunk, the parent at its next look.
    h.parent.onSleep = () => h.runParts(id, async (part) => { if (part === 1) await requestCancel(store, id); });
    expect(await runAuditWorkflow(id, h.parent, h.deps, { fanout: h.fanout })).toBe('stopped');
    const r = (await readRecord(store, id))!;
    expect(r.status).toBe('canceled');
    expect(await store.get(keys.report(id))).toBeNull();
    expect([...h.parts.get(2)!.calls.keys()].filter((k) => k.startsWith('chunk '))).toHaveLength(1);
  });

  it('fails the job when a part fails, and the other parts and the parent stop', { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    const id = await seedJob(store, model, data);
    const h = harness(store, key, 3);
    // From part 1 on, every read of a chunk result fails for good (not transient): part 1 fails the job.
    const get = store.get.bind(store);
    h.parent.onSleep = () => h.runParts(id, async (part) => {
      if (part !== 1) return;
      store.get = async (k) => (/\/chunks\/(?!plan|cancel)/.test(k) ? Promise.reject(new Error('expected a chunk, got garbage')) : get(k));
    });
    const out = await runAuditWorkflow(id, h.parent, h.deps, { fanout: h.fanout });
    store.get = get;
    expect(out).toBe('stopped');
    const r = (await readRecord(store, id))!;
    expect(r.status).toBe('failed');
    expect(r.error!.code).toBe('internal_error');
    // Part 2 saw the failed job at its first chunk and stopped; no report.
    expect([...h.parts.get(2)!.calls.keys()].filter((k) => k.startsWith('chunk '))).toHaveLength(1);
    expect(await store.get(keys.report(id))).toBeNull();
  });
});
