// A small client of the qaudit HTTP API for the CLI: problem+json errors, retries of what is safe to repeat, exit codes.
import type { PublicJwk } from '../attest';
import { EngineError } from '../engine/errors';

/** The server answered with an error status; `problem` is its RFC 9457 body when it sent one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: { code?: string; detail?: string; field?: string } | undefined,
    readonly what: string,
  ) {
    const p = problem ?? {};
    const detail = p.detail ?? 'no details';
    super(`${what}: the server answered ${status}${p.code ? ` ${p.code}` : ''}: ${detail}${p.field && !detail.startsWith(p.field) ? ` (${p.field})` : ''}`);
  }
}

/** No answer at all: refused connection, DNS failure, timeout. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/** 4xx (the request or its inputs are at fault) is bad input, exit 2; 5xx, no answer and 429 after retries are 3. */
export function exitCodeOf(e: ApiError | NetworkError): 2 | 3 {
  return e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429 ? 2 : 3;
}

export interface ClientOptions {
  /** Base URL, e.g. https://qaudit.example.com (a path prefix is kept). */
  server: string;
  apiKey?: string;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /** Retries of one request (see request()). */
  retries?: number;
}

/**
 * Rate limited, or a store or gateway that failed for a moment. 500 too: the embedded store (s3rver) rewrites
 * an object in place, so a status read racing the runner's update can fail once and succeed when repeated.
 */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Checks and normalizes a server URL (http or https, no trailing slash). */
export function serverBase(url: string, flag = '--server'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EngineError('invalid_argument', `${flag}: expected an http(s) URL, got '${url}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new EngineError('invalid_argument', `${flag}: expected an http(s) URL, got '${url}'`);
  return u.href.replace(/\/+$/, '');
}

export class ApiClient {
  readonly base: string;
  /** Set after the first answer: only then is a dropped connection worth retrying (a wrong URL fails at once). */
  private reached = false;
  constructor(private readonly opts: ClientOptions) {
    this.base = serverBase(opts.server);
  }

  url(path: string): string {
    return /^https?:/.test(path) ? path : this.base + path;
  }

  /**
   * One request with the API key. Idempotent requests (GETs, content-addressed uploads) are retried after a
   * RETRYABLE status (waiting Retry-After) or a dropped connection; others only after 429, which the server
   * answers before doing anything.
   */
  async request(method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string>; idempotent?: boolean } = {}): Promise<Response> {
    const url = this.url(path);
    const what = `${method} ${url}`;
    const auth: Record<string, string> = this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {};
    const idempotent = init.idempotent ?? method === 'GET';
    const retries = this.opts.retries ?? 5;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { method, body: init.body, headers: { ...auth, ...init.headers }, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 300_000) });
      } catch (e) {
        if (this.reached && idempotent && attempt < retries) { await sleep(1000 * 2 ** attempt); continue; }
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new NetworkError(`${what}: could not reach the server (${cause?.code ?? cause?.message ?? (e as Error).message})`);
      }
      this.reached = true;
      if (res.ok) return res;
      if ((res.status === 429 || (idempotent && RETRYABLE.has(res.status))) && attempt < retries) {
        // Retry-After is in seconds; capped so that a confused server cannot stall the CLI for long.
        const wait = Math.min(60, Math.max(1, Number(res.headers.get('retry-after')) || 2 ** attempt));
        await res.body?.cancel();
        await sleep(wait * 1000);
        continue;
      }
      throw new ApiError(res.status, await problemOf(res), what);
    }
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init = body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    return (await (await this.request(method, path, init)).json()) as T;
  }
}

async function problemOf(res: Response): Promise<{ code?: string; detail?: string; field?: string } | undefined> {
  const text = await res.text().catch(() => '');
  try {
    const p = JSON.parse(text) as Record<string, unknown>;
    if (typeof p === 'object' && p !== null && (typeof p.detail === 'string' || typeof p.code === 'string')) {
      return { code: p.code as string | undefined, detail: p.detail as string | undefined, field: p.field as string | undefined };
    }
  } catch { /* not problem+json: e.g. a proxy's HTML error page */ }
  return text ? { detail: text.slice(0, 200).replace(/\s+/g, ' ').trim() } : undefined;
}

/**
 * Public Ed25519 keys from a JWK set or a single JWK (a private JWK's public half is taken as is). The kid is
 * not trusted: verifyEnvelope recomputes each key's thumbprint.
 */
export function parseJwks(value: unknown, source: string): PublicJwk[] {
  const v = value as { keys?: unknown };
  const list = typeof v === 'object' && v !== null && Array.isArray(v.keys) ? v.keys : [value];
  const keys: PublicJwk[] = [];
  for (const k of list as { kty?: unknown; crv?: unknown; x?: unknown }[]) {
    if (k?.kty !== 'OKP' || k.crv !== 'Ed25519' || typeof k.x !== 'string') {
      throw new EngineError('invalid_argument', `expected ${source} to hold Ed25519 JWKs {kty: "OKP", crv: "Ed25519", x}, got kty=${String(k?.kty)} crv=${String(k?.crv)}`);
    }
    keys.push({ kty: 'OKP', crv: 'Ed25519', x: k.x, kid: '', alg: 'EdDSA', use: 'sig' });
  }
  return keys;
}
