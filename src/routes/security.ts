// Who may write (Bearer API keys, or loopback when none are configured) and how often (token buckets in memory).
import type { Context, MiddlewareHandler } from 'hono';
import { sha256Hex } from '../attest/encoding';
import { timingSafeEqual } from '../attest/webhooks';
import type { AppConfig, RateLimit } from '../config';
import type { JobOwner } from '../jobs/types';
import { addressBucket, isLoopback } from './addresses';
import { ProblemError } from './problem';

/** The caller's network address as the runtime reports it; undefined when unknown. */
export type ClientAddress = (c: Context) => string | undefined;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export { isLoopback } from './addresses';

/** Host header names that are this machine: a rebound DNS name (evil.example resolving to 127.0.0.1) is not. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.toLowerCase().replace(/:\d{1,5}$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name.endsWith('.localhost') || isLoopback(name);
}

/**
 * A request that really comes from this machine: a loopback peer, a loopback Host, and no proxy headers (a local
 * reverse proxy forwards other machines' requests, so its own loopback address proves nothing).
 */
export function isLocalRequest(c: Context, addr: string | undefined): boolean {
  if (!isLoopback(addr) || !isLoopbackHost(c.req.header('host') ?? hostOf(c.req.url))) return false;
  return !['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host'].some((h) => c.req.header(h) !== undefined);
}

const hostOf = (url: string) => { try { return new URL(url).host; } catch { return undefined; } };

/**
 * A write a browser sends on behalf of another site: `Sec-Fetch-Site: cross-site`, or an Origin other than the
 * request's own. A "simple" CORS request (a form POST, even multipart) reaches the server without a preflight,
 * so this is the check that stops it.
 */
export function isCrossSite(c: Context): boolean {
  if (c.req.header('sec-fetch-site')?.toLowerCase() === 'cross-site') return true;
  const origin = c.req.header('origin');
  if (origin === undefined) return false;
  const host = c.req.header('host') ?? hostOf(c.req.url);
  return origin === 'null' || hostOf(origin) !== host;
}

/**
 * A token bucket per identity: `burst` tokens, refilled at perMinute / 60 per second. In memory per instance,
 * so the effective limit is per instance (documented); the map is bounded by dropping the stalest entries.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly limit: RateLimit, private readonly maxEntries = 10_000) {}

  /** 0 when allowed (one token taken), else the seconds to wait. */
  take(identity: string, now: number): number {
    const rate = this.limit.perMinute / 60_000;
    const b = this.buckets.get(identity) ?? { tokens: this.limit.burst, at: now };
    b.tokens = Math.min(this.limit.burst, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.delete(identity);
    this.buckets.set(identity, b);
    if (this.buckets.size > this.maxEntries) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
  }
}

/** SHA-256 of each key, so comparisons run over fixed-size digests in constant time. */
export async function keyDigests(keys: string[]): Promise<{ digest: Uint8Array; id: string }[]> {
  const enc = new TextEncoder();
  return Promise.all(keys.map(async (k) => {
    const hex = await sha256Hex(enc.encode(k));
    return { digest: hexBytes(hex), id: `key:${hex.slice(0, 12)}` };
  }));
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

/** The matching key's id, comparing with every key (no early exit), or null. */
async function matchKey(token: string, digests: { digest: Uint8Array; id: string }[]): Promise<string | null> {
  const d = hexBytes(await sha256Hex(new TextEncoder().encode(token)));
  let found: string | null = null;
  for (const k of digests) if (timingSafeEqual(d, k.digest) && found === null) found = k.id;
  return found;
}

export interface SecurityOptions {
  config: AppConfig;
  clientAddress: ClientAddress;
  now: () => number;
  /** Paths whose writes carry their own authentication (webhook signatures). */
  selfAuthenticated: (path: string) => boolean;
  /** Paths whose reads need the credentials of a write: listings, so that ids (and reports) are not enumerable. */
  privateRead?: (path: string) => boolean;
}

/** Authenticates writes and private reads, then charges the caller's read or write bucket (429 with Retry-After when empty). */
export function security(opts: SecurityOptions): MiddlewareHandler {
  const digests = keyDigests(opts.config.apiKeys);
  const { rateLimits } = opts.config;
  const writes = new RateLimiter(rateLimits.writes);
  const reads = new RateLimiter(rateLimits.reads);
  const failures = new RateLimiter(rateLimits.authFailures);
  const limited = (what: string, limit: RateLimit, wait: number) => new ProblemError(429, 'rate_limited',
    `expected at most ${limit.perMinute} ${what} per minute, got more; retry in ${wait} s`, undefined, { 'retry-after': String(wait) });
  return async (c, next) => {
    const write = WRITE_METHODS.has(c.req.method);
    const addr = opts.clientAddress(c);
    let identity = addressBucket(addr);
    const guarded = write ? !opts.selfAuthenticated(c.req.path) : opts.privateRead?.(c.req.path) === true;
    if (guarded) {
      if (write && isCrossSite(c)) throw new ProblemError(403, 'cross_site', 'expected a write from this origin or from a client without an Origin header, got a cross-site request', 'header.origin');
      try {
        identity = (await authenticate(c, await digests, addr)) ?? identity;
      } catch (e) {
        // Failed authentication has its own bucket per address: guessing keys gets 429s, not an endless stream of 401s.
        const wait = failures.take(addressBucket(addr), opts.now());
        if (wait > 0) throw limited('failed authentications', rateLimits.authFailures, wait);
        throw e;
      }
    }
    const wait = (write ? writes : reads).take(identity, opts.now());
    if (wait > 0) throw limited(write ? 'writes' : 'reads', write ? rateLimits.writes : rateLimits.reads, wait);
    c.set('caller' as never, { tenant: identity, client: addressBucket(addr) } as never);
    await next();
  };
}

/** Who is asking: a key id (`key:...`) or the address bucket of an anonymous caller (`addr:...`), and the address bucket. */
export const callerOf = (c: Context): JobOwner => (c.get('caller' as never) as JobOwner | undefined) ?? { tenant: 'addr:unknown', client: 'addr:unknown' };

/** The key id of an authenticated caller, or null for a local caller when no keys are configured. */
async function authenticate(c: Context, digests: { digest: Uint8Array; id: string }[], addr: string | undefined): Promise<string | null> {
  if (digests.length === 0) {
    if (isLocalRequest(c, addr)) return null;
    throw new ProblemError(403, 'forbidden', 'expected a request from loopback to a loopback host name, without proxy headers (no API keys are configured, so writes and listings are local only), got another');
  }  const header = c.req.header('authorization');
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const challenge = { 'www-authenticate': 'Bearer realm="qaudit"' };
  if (!m) throw new ProblemError(401, 'unauthorized', 'expected an Authorization: Bearer <API key> header, got none', 'header.authorization', challenge);
  const id = await matchKey(m[1]!, digests);
  if (!id) throw new ProblemError(401, 'unauthorized', 'expected a valid API key, got an unknown one', 'header.authorization', { 'www-authenticate': 'Bearer realm="qaudit", error="invalid_token"' });
  return id;
}
