// RFC 9457 problem details: the one error type routes throw, and every error rendered as one (statuses: CATEGORIES).
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CATEGORIES, ClassifiedError, EngineError } from '../engine/errors';
import { StorageError } from '../storage/store';

export const PROBLEM_TYPE_BASE = 'https://qaudit.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine-readable code, the last segment of `type`. */
  code: string;
  /** The request field at fault: `body.epsilons`, `query.limit`, `header.authorization`, or a pointer into an upload. */
  field?: string;
  instance?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Content Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable',
};

/** Thrown by routes; `app.onError` renders it. Messages are for users: no stack, no internals. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Any thrown value as a ProblemError; unknown errors become a bare 500 (details go to the log only). */
export function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err instanceof ClassifiedError) {
    const { status } = CATEGORIES[err.category];
    const what = err instanceof StorageError ? 'the store' : 'the engine';
    switch (err.category) {
      case 'internal': return new ProblemError(500, 'internal', `expected ${what} to work, got an internal failure`);
      case 'unavailable': return new ProblemError(503, 'storage_unavailable', `expected ${what} to answer, got no answer; retry later`, undefined, { 'retry-after': '5' });
      case 'conflict': return new ProblemError(409, 'conflict', 'expected absent or identical content at this id, got different content');
      default: return new ProblemError(status, err.code, err.message, err instanceof EngineError ? err.pointer : undefined);
    }
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 400) return new ProblemError(400, 'invalid_json', `expected a well-formed request body, got: ${err.message}`, 'body');
    if (status === 415) return new ProblemError(415, 'unsupported_media_type', 'expected a request body of a declared Content-Type, got another', 'header.content-type');
    if (status === 413) return new ProblemError(413, 'too_large', err.message || 'expected a smaller request body', 'body');
    return new ProblemError(status, `http_${status}`, err.message || TITLES[status] || 'HTTP error');
  }
  return new ProblemError(500, 'internal', 'expected to answer, got an internal failure');
}

export function problemResponse(c: Context, p: ProblemError): Response {
  return problemAt(new URL(c.req.url).pathname, p);
}

/** The problem+json response of `p` for a request to `path` (also the Worker entry's answer when the app cannot start). */
export function problemAt(path: string, p: ProblemError): Response {
  const body: Problem = {
    type: PROBLEM_TYPE_BASE + p.code,
    title: TITLES[p.status] ?? 'Error',
    status: p.status,
    detail: p.message,
    code: p.code,
    ...(p.field ? { field: p.field } : {}),
    instance: path,
  };
  return new Response(JSON.stringify(body), {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', ...p.headers },
  });
}

/** The one error handler: typed errors to their status, everything else to a 500 without internals. */
export function onError(err: Error, c: Context): Response {
  const p = toProblem(err);
  // A store that did not answer is an outage, not a bug: one line, no stack.
  if (err instanceof StorageError && err.retryable) console.error(`qaudit: storage unavailable: ${err.message}`);
  else if (p.status >= 500 && !(err instanceof ProblemError)) console.error('qaudit: unhandled error', err);
  return problemResponse(c, p);
}

interface ZodIssueLike { path: PropertyKey[]; message: string }

/** The default hook of every route: a zod failure as a 400 naming the first field (`body.epsilons`, `query.limit`). */
export function validationHook(result: { success: boolean; target: string; error?: { issues: ZodIssueLike[] } }): void {
  if (result.success) return;
  const issue = result.error!.issues[0]!;
  const where = result.target === 'json' || result.target === 'form' ? 'body' : result.target === 'param' ? 'path' : result.target;
  const field = [where, ...issue.path.map(String)].join('.');
  throw new ProblemError(400, 'invalid_request', `${field}: ${issue.message}`, field);
}
