// The jobs' requests as stored in their records: validated here so that both drivers read the same shape.
import { z } from 'zod';
import { EngineError } from '../engine/errors';
import type { AuditRequest, RetrainRequest } from './types';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 as 64 lowercase hex chars');
const Dataset = z.union([z.literal('mnist'), z.object({ sha256: Sha256, name: z.string().min(1).max(128).optional() }).strict()]);
const Settings = z.record(z.string(), z.unknown());

export const AuditRequestSchema = z.object({
  model: Sha256,
  dataset: Dataset,
  settings: Settings.optional(),
  surrogate: Sha256.optional(),
  /** The request's --fail-under thresholds, rendered into report.junit.xml and report.sarif (not by the jobs). */
  failUnder: z.string().max(1000).optional(),
}).strict();

export const RetrainRequestSchema = z.object({
  model: Sha256,
  dataset: Dataset,
  settings: Settings,
  audit: Settings,
  evalDataset: Dataset,
}).strict();

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = ['request', ...issue.path.map(String)].join('.');
  throw new EngineError('invalid_argument', `${field}: ${issue.message}`, field);
}

/** Parses a record's request; a bad one is an `invalid_argument` EngineError naming the field. */
export const parseAuditRequest = (input: unknown): AuditRequest => parse(AuditRequestSchema, input);
export const parseRetrainRequest = (input: unknown): RetrainRequest => parse(RetrainRequestSchema, input);
