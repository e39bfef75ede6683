// The OpenAPI 3.1 document, generated from the routes' zod schemas; served as JSON and YAML and committed as openapi.yaml.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { stringify } from 'yaml';
import { QAUDIT_VERSION } from '../engine/audit/report';

const DESCRIPTION = [
  'Audits the adversarial robustness of quantized tfjs Layers models. Errors are application/problem+json (RFC 9457).',
  'Writes (POST, DELETE) need `Authorization: Bearer <API key>` when API keys are configured, and come from loopback only',
  'when none are; reads need no key (audit ids are unguessable). Limits and rate limits: docs/api.md.',
].join(' ');

export function openApiDocument(app: OpenAPIHono): Record<string, unknown> {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' });
  const doc = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'qaudit', version: QAUDIT_VERSION, description: DESCRIPTION, license: { name: 'Apache-2.0' } },
  });
  // A plain JSON value: the served and the committed documents compare equal after a YAML round trip.
  return JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
}

export const toYaml = (doc: unknown): string => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
