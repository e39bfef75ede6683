// What the HTTP layer is handed by its entry point (Node or Workers): nothing here builds a client or reads env.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { SigningKey } from '../attest/ed25519';
import type { AppConfig } from '../config';
import type { JobDriver } from '../jobs/types';
import type { Store } from '../storage/store';
import type { Fetcher, Resolver } from './fetcher';
import { validationHook } from './problem';
import type { ClientAddress } from './security';

export interface AppDeps {
  store: Store;
  driver: JobDriver;
  /** The report signing key; its public half is served at /v1/keys. null: no key configured (empty key set). */
  signer: SigningKey | null;
  config: AppConfig;
  /** Starts the wasm engine once (idempotent): startNodeEngine on Node, initEngine(wasm) on Workers. */
  startEngine: () => Promise<void>;
  /** The caller's address (Node: the socket's; Workers: CF-Connecting-IP). Default: unknown. */
  clientAddress?: ClientAddress;
  /** Fetch for webhook model downloads (default: global fetch). */
  fetcher?: Fetcher;
  /** DNS look-up checked against private ranges before fetching (Node). */
  resolve?: Resolver;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
}

export type ResolvedDeps = Required<Omit<AppDeps, 'resolve'>> & Pick<AppDeps, 'resolve'>;

/** A sub-app whose zod failures become 400 problems naming the field. */
export function subApp(): OpenAPIHono {
  return new OpenAPIHono({ defaultHook: validationHook });
}

export const auditLinks = (id: string) => ({
  self: `/v1/audits/${id}`,
  report: `/v1/audits/${id}/report`,
  reportHtml: `/v1/audits/${id}/report.html`,
  junit: `/v1/audits/${id}/report.junit.xml`,
  sarif: `/v1/audits/${id}/report.sarif`,
  modelCard: `/v1/audits/${id}/model-card.md`,
  testResult: `/v1/audits/${id}/test-result`,
  samples: `/v1/audits/${id}/samples.jsonl`,
  attestation: `/v1/audits/${id}/attestation`,
});
