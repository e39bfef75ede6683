// Worker entry: the same app as Node (createApp), storage in an S3-compatible bucket (R2's S3 API) from S3_* vars,
// audits run by the AuditWorkflow (Cloudflare Workflows), the wasm engine started from the module wrangler imports.
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import kernels from './engine/kernels/kernels.wasm';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createApp } from './app';
import { importPrivateKey, type PrivateJwk } from './attest/ed25519';
import { configFromEnv } from './config';
import { ProblemError, problemAt } from './routes/problem';
import { initEngine } from './engine/backend';
import type { JobDriver } from './jobs/types';
import { WorkflowJobDriver, type WorkflowBinding } from './jobs/workflow';
import { s3ConfigFromEnv } from './storage/config';
import { S3Store } from './storage/s3';
import { StorageError, type Store } from './storage/store';

export { AuditWorkflow } from './jobs/workflow';

interface Env {
  AUDIT_WORKFLOW?: WorkflowBinding;
  /** Ed25519 private key as a JWK JSON string (wrangler secret put SIGNING_KEY). */
  SIGNING_KEY?: string;
  [name: string]: unknown;
}

const unavailable = (what: string) => () => Promise.reject(new StorageError('unavailable', `expected ${what} to be configured, got none`));

/** Without S3_* variables every storage call is a 503 (health, keys and the OpenAPI document still answer). */
const NO_STORE: Store = {
  get: unavailable('S3_*'), head: unavailable('S3_*'), put: unavailable('S3_*'),
  putIfAbsent: unavailable('S3_*'), delete: unavailable('S3_*'), list: unavailable('S3_*'),
};
const NO_DRIVER: JobDriver = { start: unavailable('the AUDIT_WORKFLOW binding'), cancel: unavailable('the AUDIT_WORKFLOW binding') };

async function build(env: Env): Promise<OpenAPIHono> {
  const strings = env as Record<string, string | undefined>;
  const s3 = s3ConfigFromEnv(strings);
  const store = s3 ? new S3Store(s3) : NO_STORE;
  return createApp({
    store,
    driver: env.AUDIT_WORKFLOW ? new WorkflowJobDriver(env.AUDIT_WORKFLOW, store) : NO_DRIVER,
    signer: env.SIGNING_KEY ? await importPrivateKey(JSON.parse(env.SIGNING_KEY) as PrivateJwk) : null,
    config: configFromEnv(env),
    startEngine: () => initEngine(wasm, kernels),
    // Set by Cloudflare's edge; absent (so never loopback) when the request did not come through it.
    clientAddress: (c) => c.req.header('cf-connecting-ip'),
  });
}

// One app per isolate and environment object: rate-limit buckets and replay memory live in it.
const apps = new WeakMap<object, Promise<OpenAPIHono>>();

export default {
  async fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    let app = apps.get(env);
    if (!app) {
      app = build(env);
      apps.set(env, app);
    }
    try {
      return await (await app).fetch(request, env, ctx as never);
    } catch (e) {
      apps.delete(env);
      console.error('qaudit: could not start', e);
      return problemAt(new URL(request.url).pathname, new ProblemError(500, 'misconfigured', 'expected a valid configuration, got one the service could not start with (see the Worker log)'));
    }
  },
};
