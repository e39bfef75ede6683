// Fetching models from URLs without becoming an SSRF proxy: https only, host allowlist, public addresses only
// (every redirect hop re-checked), a byte cap over all files and one deadline.
import type { AppConfig } from '../config';
import type { ModelFiles } from './body';
import { shardOrder } from './ingest';
import { ProblemError } from './problem';

export type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;
/** Addresses a host name resolves to (Node: dns.lookup); absent on Workers, whose fetch cannot reach private networks. */
export type Resolver = (host: string) => Promise<string[]>;

const MAX_REDIRECTS = 5;

const refused = (why: string) => new ProblemError(422, 'fetch_refused', `expected an https URL of an allowed public host, got ${why}`, 'url');

function v4(ip: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const o = m?.slice(1).map(Number);
  return o && o.every((x) => x <= 255) ? o : null;
}

function publicV4([a, b, c]: number[]): boolean {
  return !(a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113));
}

/** Eight 16-bit groups of an IPv6 address (with an optional dotted IPv4 tail), or null. */
function v6(ip: string): number[] | null {
  let s = ip.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const o = v4(tail[1]!);
    if (!o) return null;
    s = s.slice(0, -tail[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!), rest = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 1) return null;
  const g = [...head, ...Array(halves.length === 2 ? fill : 0).fill(0), ...rest];
  return g.some(Number.isNaN) ? null : g;
}

/** True only for globally routable unicast addresses; IPv4 embedded in IPv6 (mapped, compatible, NAT64, 6to4) is checked as IPv4. */
export function isPublicAddress(ip: string): boolean {
  const a = v4(ip);
  if (a) return publicV4(a);
  const g = v6(ip.replace(/^\[|\]$/g, ''));
  if (!g) return false;
  const embedded = (hi: number, lo: number) => publicV4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return g[5] === 0 && g[6] === 0 && g[7]! <= 1 ? false : embedded(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b) return embedded(g[6]!, g[7]!);
  if (g[0] === 0x2002) return embedded(g[1]!, g[2]!);
  if ((g[0]! & 0xfe00) === 0xfc00 || (g[0]! & 0xffc0) === 0xfe80 || (g[0]! & 0xff00) === 0xff00) return false;
  if (g[0] === 0x2001 && g[1] === 0x0db8) return false;
  return true;
}

function hostAllowed(host: string, allowed: string[]): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p));
}

/** The parsed URL when it may be fetched; the WHATWG parser has already turned decimal/hex/octal IPv4 forms into dotted ones. */
export async function checkUrl(raw: string, allowed: string[], resolve?: Resolver): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('an unparsable URL');
  }
  if (url.protocol !== 'https:') throw refused(`scheme ${url.protocol}`);
  if (url.username || url.password) throw refused('credentials in the URL');
  if (url.port !== '') throw refused(`port ${url.port}`);
  const host = url.hostname.toLowerCase();
  const literal = v4(host) !== null || host.startsWith('[');
  if (literal && !isPublicAddress(host)) throw refused(`a non-public address ${host}`);
  if (!literal && (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.'))) throw refused(`a local host name ${host}`);
  if (!hostAllowed(host, allowed)) throw refused(`host ${host}, which is not in the allowlist`);
  if (!literal && resolve) {
    const addrs = await resolve(host).catch(() => [] as string[]);
    if (addrs.length === 0) throw refused(`host ${host}, which does not resolve`);
    const bad = addrs.find((a) => !isPublicAddress(a));
    if (bad) throw refused(`host ${host}, which resolves to the non-public address ${bad}`);
  }
  return url;
}

interface FetchContext {
  fetcher: Fetcher;
  resolve?: Resolver;
  config: AppConfig['fetch'];
  signal: AbortSignal;
  /** Bytes still allowed over all files of this fetch. */
  remaining: number;
}

async function fetchBytes(raw: string, ctx: FetchContext): Promise<Uint8Array> {
  let target = raw;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const url = await checkUrl(target, ctx.config.allowedHosts, ctx.resolve);
    let res: Response;
    try {
      res = await ctx.fetcher(url.href, { redirect: 'manual', signal: ctx.signal });
    } catch {
      throw new ProblemError(502, 'fetch_failed', `expected ${url.host} to answer within ${ctx.config.timeoutMs} ms, got a network error or timeout`, 'url');
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel().catch(() => undefined);
      target = new URL(location, url).href;
      continue;
    }
    if (!res.ok) throw new ProblemError(502, 'fetch_failed', `expected 200 from ${url.host}${url.pathname}, got ${res.status}`, 'url');
    return readCapped(res, ctx);
  }
  throw new ProblemError(502, 'fetch_failed', `expected at most ${MAX_REDIRECTS} redirects, got more`, 'url');
}

async function readCapped(res: Response, ctx: FetchContext): Promise<Uint8Array> {
  const over = () => new ProblemError(422, 'limit_exceeded', `expected the fetched model to be at most ${ctx.config.maxBytes} bytes, got more`, 'url');
  if (Number(res.headers.get('content-length') ?? 0) > ctx.remaining) throw over();
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = res.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > ctx.remaining) {
      await reader.cancel().catch(() => undefined);
      throw over();
    }
    parts.push(value);
  }
  ctx.remaining -= n;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

/** model.json at `url` and the weight files its manifest names, from the same folder. */
export async function fetchModel(url: string, fetcher: Fetcher, config: AppConfig['fetch'], resolve?: Resolver): Promise<ModelFiles> {
  const ctx: FetchContext = { fetcher, resolve, config, signal: AbortSignal.timeout(config.timeoutMs), remaining: config.maxBytes };
  const json = await fetchBytes(url, ctx);
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder().decode(json));
  } catch {
    throw new ProblemError(422, 'invalid_model', 'expected the fetched model.json to be JSON, got other bytes', 'url');
  }
  const files = new Map<string, Uint8Array>();
  for (const name of shardOrder(manifest)) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(name)) throw new ProblemError(422, 'invalid_model', `expected weight file names of [A-Za-z0-9_.-], got ${JSON.stringify(name.slice(0, 80))}`, 'url');
    files.set(name, await fetchBytes(new URL(name, url).href, ctx));
  }
  return { json, files };
}
