// Small read-only resources: liveness and the public signing keys that verify attestations.
import { createRoute, z } from '@hono/zod-openapi';
import { exportPublicJwk } from '../attest/ed25519';
import { QAUDIT_VERSION } from '../engine/audit/report';
import { subApp, type ResolvedDeps } from './deps';
import { JwksSchema, problems } from './schemas';

const health = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness',
  responses: {
    200: { description: 'Up', content: { 'application/json': { schema: z.object({ status: z.literal('ok'), version: z.string() }).openapi('Health') } } },
  },
});

const jwks = createRoute({
  method: 'get',
  path: '/v1/keys',
  summary: 'Public keys (JWKS, Ed25519) that verify attestations; kid is the RFC 7638 thumbprint and the DSSE keyid',
  responses: {
    200: { description: 'The key set (empty when no signing key is configured)', content: { 'application/json': { schema: JwksSchema } } },
    ...problems(429),
  },
});

export function metaApp(deps: ResolvedDeps) {
  const app = subApp();
  const keys = deps.signer ? exportPublicJwk(deps.signer).then((k) => [k]) : Promise.resolve([]);
  app.openapi(health, (c) => c.json({ status: 'ok' as const, version: QAUDIT_VERSION }, 200));
  app.openapi(jwks, async (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json({ keys: await keys }, 200);
  });
  return app;
}
