// Route-test helpers: an app on a MemoryStore with a fake job driver (or on s3rver with the real runner), tiny
// models as uploads, request shortcuts.
import { zipSync } from 'fflate';
import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../../src/app';
import { generateSigningKey, type SigningKey } from '../../src/attest/ed25519';
import { configFromEnv } from '../../src/config';
import { initEngine } from '../../src/engine/backend';
import type { JobDriver, JobKind, JobOwner } from '../../src/jobs/types';
import type { AppDeps } from '../../src/routes/deps';
import { MemoryStore } from '../../src/storage/memory';
import { builtinMnist } from '../../src/data/mnist.node';
import { NodeJobDriver } from '../../src/jobs/runner.node';
import { S3Store } from '../../src/storage/s3';
import { buildLayersModel } from '../helpers/models';
import { startS3 } from '../_s3';
import { loadWasm } from '../wasm';

/** Records calls; `failStart` makes start() refuse. Every started job counts as unfinished (queue caps). */
export class FakeDriver implements JobDriver {
  started: [string, JobKind][] = [];
  owners: (JobOwner | undefined)[] = [];
  canceled: string[] = [];
  failStart = false;
  async start(id: string, kind: JobKind, owner?: JobOwner): Promise<void> {
    if (this.failStart) throw new Error('runner down');
    this.started.push([id, kind]);
    this.owners.push(owner);
  }
  async pending(o: JobOwner): Promise<{ tenant: number; client: number }> {
    return { tenant: this.owners.filter((x) => x?.tenant === o.tenant).length, client: this.owners.filter((x) => x?.client === o.client).length };
  }
  async cancel(id: string): Promise<void> {
    this.canceled.push(id);
  }
}

/** The caller's address comes from this header in tests (the Node entry reads the socket instead). */
export const ADDR = 'x-test-addr';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  store: MemoryStore;
  driver: FakeDriver;
  signer: SigningKey;
  req(path: string, init?: RequestInit & { addr?: string }): Promise<Response>;
}

let signer: Promise<SigningKey> | undefined;

export async function makeApp(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}): Promise<TestApp> {
  const store = new MemoryStore();
  const driver = new FakeDriver();
  const key = await (signer ??= generateSigningKey());
  const app = createApp({
    store, driver, signer: key, config: configFromEnv(env),
    startEngine: async () => initEngine(await loadWasm()),
    clientAddress: (c) => c.req.header(ADDR) ?? '127.0.0.1',
    ...extra,
  });
  const req = (path: string, init: RequestInit & { addr?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.addr) headers.set(ADDR, init.addr);
    return Promise.resolve(app.request(path, { ...init, headers }));
  };
  return { app, store, driver, signer: key, req };
}

/** A 4x4x1 -> 3 class MLP (softmax head) as model.json bytes and shards by name. */
export function tinyModel(seed = 1, shards = 1): { json: Uint8Array; files: Map<string, Uint8Array> } {
  const m = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }], { inputShape: [4, 4, 1], seed, shards });
  return { json: new TextEncoder().encode(JSON.stringify(m.json)), files: m.shards };
}

/** A 28x28x1 -> 10 class linear model, the shape of built-in MNIST. */
export function mnistModel(seed = 1): { json: Uint8Array; files: Map<string, Uint8Array> } {
  const m = buildLayersModel([{ type: 'flatten' }, { type: 'dense', units: 10 }], { inputShape: [28, 28, 1], seed });
  return { json: new TextEncoder().encode(JSON.stringify(m.json)), files: m.shards };
}

export function multipart(model: { json: Uint8Array; files: Map<string, Uint8Array> }): FormData {
  const form = new FormData();
  form.append('model', new File([bin(model.json)], 'model.json', { type: 'application/json' }));
  for (const [name, bytes] of model.files) form.append('shard', new File([bin(bytes)], name));
  return form;
}

/** Typed-array bytes as a fetch body / blob part (TS 5.9 wants an ArrayBuffer-backed view). */
export const bin = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

export function zipOf(entries: Record<string, Uint8Array>): Uint8Array<ArrayBuffer> {
  return bin(zipSync(entries));
}

export async function uploadModel(t: TestApp, model = mnistModel()): Promise<string> {
  const res = await t.req('/v1/models', { method: 'POST', body: multipart(model) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers },
});

export async function problem(res: Response): Promise<{ status: number; code: string; field?: string; detail: string; type: string }> {
  if (res.headers.get('content-type') !== 'application/problem+json') throw new Error(`expected problem+json, got ${res.headers.get('content-type')}: ${await res.text()}`);
  return (await res.json()) as never;
}

/** The app on a real s3rver with the real Node job runner (chunks on the main thread), started before the describe
 *  block's tests and stopped after them; read `t`, `driver` and `store` inside the tests. */
export function useRealApp(): { t: TestApp; driver: NodeJobDriver; store: S3Store } {
  const real = {} as { t: TestApp; driver: NodeJobDriver; store: S3Store };
  let close = async () => {};
  beforeAll(async () => {
    const s3 = await startS3();
    const store = new S3Store(s3.config);
    real.store = store;
    const base = await makeApp();
    real.driver = new NodeJobDriver({ store, signingKey: base.signer, builtin: builtinMnist, threads: 0, resume: false });
    real.t = await makeApp({}, { store, driver: real.driver });
    close = async () => {
      await real.driver.close();
      store.close();
      await s3.stop();
    };
  });
  afterAll(async () => close());
  return real;
}
