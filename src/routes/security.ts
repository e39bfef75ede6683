// Who may write (Bearer API keys, or loopback when none are configured) and how often (token buckets in memory).
import type { Context, MiddlewareHandler } from 'hono';
import { sha256Hex } from '../attest/encoding';
import { timingSafeEqual } from '../attest/webhooks';
import type { AppConfig, RateLimit } from '../config';
import { ProblemError } from './problem';

/** The caller's network address as the runtime reports it; undefined when unknown. */
export type ClientAddress = (c: Context) => string | undefined;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** 127.0.0.0/8, ::1, and IPv4-mapped forms of 127/8. */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.toLowerCase().replace(/^\[|\]$/g, '');
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
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
  const writes = new RateLimiter(opts.config.rateLimits.writes);
  const reads = new RateLimiter(opts.config.rateLimits.reads);
  return async (c, next) => {
    const write = WRITE_METHODS.has(c.req.method);
    const addr = opts.clientAddress(c);
    let identity = `addr:${addr ?? 'unknown'}`;
    const guarded = write ? !opts.selfAuthenticated(c.req.path) : opts.privateRead?.(c.req.path) === true;
    if (guarded) identity = (await authenticate(c, await digests, addr)) ?? identity;
    const wait = (write ? writes : reads).take(identity, opts.now());
    if (wait > 0) {
      throw new ProblemError(429, 'rate_limited', `expected at most ${(write ? opts.config.rateLimits.writes : opts.config.rateLimits.reads).perMinute} ${write ? 'writes' : 'reads'} per minute, got more; retry in ${wait} s`, undefined, { 'retry-after': String(wait) });
    }
    await next();
  };
}

/** The key id of an authenticated caller, or null for a loopback caller when no keys are configured. */
async function authenticate(c: Context, digests: { digest: Uint8Array; id: string }[], addr: string | undefined): Promise<string | null> {
  if (digests.length === 0) {
    if (isLoopback(addr)) return null;
    throw new ProblemError(403, 'forbidden', 'expected a request from loopback (no API keys are configured, so writes and listings are local only), got one from another address');
  }
  const header = c.req.header('authorization');
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const challenge = { 'www-authenticate': 'Bearer realm="qaudit"' };
  if (!m) throw new ProblemError(401, 'unauthorized', 'expected an Authorization: Bearer <API key> header, got none', 'header.authorization', challenge);
  const id = await matchKey(m[1]!, digests);
  if (!id) throw new ProblemError(401, 'unauthorized', 'expected a valid API key, got an unknown one', 'header.authorization', { 'www-authenticate': 'Bearer realm="qaudit", error="invalid_token"' });
  return id;
}
