// Node fetcher for model downloads that connects to the address the SSRF check vetted: the host name is kept for
// TLS (SNI, certificate check) and the Host header, but never resolved a second time (no DNS rebinding window).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { FetchInit } from '../routes/fetcher';

/** A lookup that answers every name with `address` (IPv4 or IPv6), as node:net expects in both callback forms. */
function pinnedLookup(address: string): LookupFunction {
  const family = address.includes(':') ? 6 : 4;
  return ((_host: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (options?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as LookupFunction;
}

/** GET `url`; with `init.address`, the connection goes to that address. Redirects are returned, not followed. */
export function pinnedFetch(url: string, init: FetchInit = {}): Promise<Response> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, {
      method: 'GET',
      signal: init.signal ?? undefined,
      headers: { 'user-agent': 'qaudit', accept: '*/*' },
      // A fresh connection each time: a pooled socket is keyed by host and port, not by the address vetted for this request.
      agent: false,
      ...(init.address ? { lookup: pinnedLookup(init.address.replace(/^\[|\]$/g, '')) } : {}),
    }, (res: IncomingMessage) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const body = res.statusCode === 204 || res.statusCode === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status: res.statusCode ?? 502, headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
