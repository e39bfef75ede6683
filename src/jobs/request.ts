// The audit job's request as stored in its record: validated here so that both drivers read the same shape.
import { z } from 'zod';
import { EngineError } from '../engine/errors';
import type { AuditRequest } from './types';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 as 64 lowercase hex chars');

export const AuditRequestSchema = z.object({
  model: Sha256,
  dataset: z.union([z.literal('mnist'), z.object({ sha256: Sha256, name: z.string().min(1).max(128).optional() }).strict()]),
  settings: z.record(z.string(), z.unknown()).optional(),
  surrogate: Sha256.optional(),
}).strict();

/** Parses a record's request; a bad one is an `invalid_argument` EngineError naming the field. */
export function parseAuditRequest(input: unknown): AuditRequest {
  const r = AuditRequestSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = ['request', ...issue.path.map(String)].join('.');
  throw new EngineError('invalid_argument', `${field}: ${issue.message}`, field);
}
