// Fetching models from URLs without becoming an SSRF proxy: https only, host allowlist, public addresses only
// (every redirect hop re-checked), a byte cap over all files and one deadline.
import type { AppConfig } from '../config';
import { FILE_NAME, onnxModelFiles, type ModelFiles } from './body';
import { onnxDataFiles } from '../engine/model/files';
import { parseModelJson, shardOrder } from './manifest';
import { isPublicAddress, parseV4 } from './addresses';
import { ProblemError } from './problem';

/** `address`: the vetted IP the connection must go to (set when a resolver checked the name); a fetcher that can
 *  pin the connection (Node: src/runtime/fetch.node.ts) connects there instead of resolving the name again. */
export type FetchInit = RequestInit & { address?: string };
export type Fetcher = (url: string, init?: FetchInit) => Promise<Response>;
/** Addresses a host name resolves to (Node: dns.lookup); absent on Workers, whose fetch cannot reach private networks. */
export type Resolver = (host: string) => Promise<string[]>;

export { isPublicAddress } from './addresses';

const MAX_REDIRECTS = 5;

// Messages name what the caller sent, never what a DNS answer or a redirect revealed about internal networks.
const refused = (why: string) => new ProblemError(422, 'fetch_refused', `expected an https URL of an allowed public host, got ${why}`, 'url');

function hostAllowed(host: string, allowed: string[]): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p));
}

/**
 * The parsed URL when it may be fetched, and the vetted address to connect to when a resolver was asked; the WHATWG
 * parser has already turned decimal/hex/octal IPv4 forms into dotted ones.
 */
export async function vetUrl(raw: string, allowed: string[], resolve?: Resolver): Promise<{ url: URL; address?: string }> {
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
  const literal = parseV4(host) !== null || host.startsWith('[');
  if (literal && !isPublicAddress(host)) throw refused('a non-public address');
  if (!literal && (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.'))) throw refused(`a local host name ${host}`);
  if (!hostAllowed(host, allowed)) throw refused(`host ${host}, which is not in the allowlist`);
  if (!literal && resolve) {
    const addrs = await resolve(host).catch(() => [] as string[]);
    if (addrs.length === 0) throw refused(`host ${host}, which does not resolve`);
    // Every answer must be public: a name that also resolves privately is a rebinding attempt.
    if (addrs.some((a) => !isPublicAddress(a))) throw refused(`host ${host}, which resolves to a non-public address`);
    return { url, address: addrs[0] };
  }
  return { url };
}

/** The parsed URL when it may be fetched (vetUrl without the address). */
export async function checkUrl(raw: string, allowed: string[], resolve?: Resolver): Promise<URL> {
  return (await vetUrl(raw, allowed, resolve)).url;
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
    const { url, address } = await vetUrl(target, ctx.config.allowedHosts, ctx.resolve);
    let res: Response;
    try {
      res = await ctx.fetcher(url.href, { redirect: 'manual', signal: ctx.signal, address });
    } catch {
      throw new ProblemError(502, 'fetch_failed', `expected ${url.host} to answer within ${ctx.config.timeoutMs} ms, got a network error or timeout`, 'url');
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel().catch(() => undefined);
      target = new URL(location, url).href;
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const e = new ProblemError(502, 'fetch_failed', `expected 200 from ${url.host}${url.pathname}, got ${res.status}`, 'url');
      throw res.status === 404 ? Object.assign(e, { notFound: true }) : e;
    }
    return readCapped(res, ctx);
  }
  throw new ProblemError(502, 'fetch_failed', `expected at most ${MAX_REDIRECTS} redirects, got more`, 'url');
}

async function readCapped(res: Response, ctx: FetchContext): Promise<Uint8Array> {
  const over = () => new ProblemError(422, 'limit_exceeded', `expected the fetched model to be at most ${ctx.config.maxBytes} bytes, got more`, 'url');
  if (Number(res.headers.get('content-length') ?? 0) > ctx.remaining) throw over();
  const reader = res.body?.getReader();
  // The deadline holds even for a body stream that ignores the abort signal: cancel it, and refuse what was read.
  let late = false;
  const onAbort = () => { late = true; void reader?.cancel().catch(() => undefined); };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await readAll(reader, ctx, over, () => late);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

async function readAll(reader: ReadableStreamDefaultReader<Uint8Array> | undefined, ctx: FetchContext, over: () => ProblemError, late: () => boolean): Promise<Uint8Array> {
  const cut = () => new ProblemError(502, 'fetch_failed', `expected the fetched files within ${ctx.config.timeoutMs} ms, got a body cut short or too slow`, 'url');
  const parts: Uint8Array[] = [];
  let n = 0;
  while (reader) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The deadline (or the peer) cut the body mid-way: an upstream failure, not ours.
      throw cut();
    }
    if (late()) throw cut();
    const { done, value } = chunk;
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

/**
 * The model at the first of `urls` that exists (the next is tried only on a 404): model.json and the weight files its
 * manifest names, or an .onnx file and the external data files it names, from the same folder.
 */
export async function fetchModel(urls: string | readonly string[], fetcher: Fetcher, config: AppConfig['fetch'], resolve?: Resolver): Promise<ModelFiles> {
  const ctx: FetchContext = { fetcher, resolve, config, signal: AbortSignal.timeout(config.timeoutMs), remaining: config.maxBytes };
  const list = typeof urls === 'string' ? [urls] : urls;
  for (const [i, url] of list.entries()) {
    try {
      return await (/\.onnx$/i.test(new URL(url).pathname) ? fetchOnnx(url, ctx) : fetchLayers(url, ctx));
    } catch (e) {
      if (!(e as { notFound?: boolean }).notFound || i === list.length - 1) throw e;
    }
  }
  throw new Error('expected at least one model URL');
}

async function fetchOnnx(url: string, ctx: FetchContext): Promise<ModelFiles> {
  const bytes = await fetchBytes(url, ctx);
  const files = new Map<string, Uint8Array>();
  // Exactly the files the .onnx names: nothing else is fetched, so there is nothing stray to refuse.
  for (const name of onnxDataFiles(bytes)) files.set(checkedName(name), await fetchBytes(new URL(name, url).href, ctx));
  return onnxModelFiles(bytes, files);
}

const checkedName = (name: string) => {
  if (!FILE_NAME.test(name)) throw new ProblemError(422, 'invalid_model', `expected weight file names of [A-Za-z0-9_.-], got ${JSON.stringify(name.slice(0, 80))}`, 'url');
  return name;
};

async function fetchLayers(url: string, ctx: FetchContext): Promise<ModelFiles> {
  const json = await fetchBytes(url, ctx);
  // Size and nesting checked before parsing, as for uploads.
  const { value: manifest } = parseModelJson(json, 'url');
  const files = new Map<string, Uint8Array>();
  // shardOrder refuses a manifest naming a file twice, so each path is downloaded once.
  for (const name of shardOrder(manifest, 'url')) files.set(checkedName(name), await fetchBytes(new URL(name, url).href, ctx));
  return { json, files };
}
