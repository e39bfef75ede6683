// Who may write: with no keys, only this machine (loopback peer, loopback Host, no proxy headers, no cross-site
// browser); failed authentication is rate-limited per address, IPv6 per /64; the limiter runs on an injected clock.
import { describe, expect, it } from 'vitest';
import { addressBucket } from '../../src/routes/addresses';
import { isCrossSite, isLoopbackHost } from '../../src/routes/security';
import { makeApp, multipart, problem, tinyModel } from '../routes/_app';

const KEY = 'writers-api-key-0123456789';
const upload = (headers: Record<string, string>, addr = '127.0.0.1') => ({ method: 'POST', body: multipart(tinyModel()), headers, addr });

describe('writes without API keys are local only', () => {
  it.each([
    ['a rebound DNS name as Host', { host: 'rebind.attacker.example:8787' }],
    ['Forwarded from a local proxy', { forwarded: 'for=203.0.113.9' }],
    ['X-Forwarded-For from a local proxy', { 'x-forwarded-for': '203.0.113.9' }],
    ['X-Real-IP from a local proxy', { 'x-real-ip': '203.0.113.9' }],
    ['a foreign Origin (a "simple" CORS form post)', { origin: 'https://attacker.example' }],
    ['Origin null (a sandboxed frame or file: page)', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
  ])('refuses an upload from loopback with %s (403), storing nothing', async (_, headers) => {
    const t = await makeApp();
    const res = await t.req('/v1/models', upload(headers));
    expect((await problem(res)).status).toBe(403);
    expect((await t.store.list('models/')).keys).toEqual([]);
  });

  it('refuses the listings to a rebound Host, and accepts loopback names and same-origin browsers', async () => {
    const t = await makeApp();
    expect((await t.req('/v1/audits', { headers: { host: 'rebind.attacker.example' } })).status).toBe(403);
    expect((await t.req('/v1/audits', { headers: { host: 'localhost:8787' } })).status).toBe(200);
    const ok: Record<string, string>[] = [{ host: '127.0.0.1:8787', origin: 'http://127.0.0.1:8787', 'sec-fetch-site': 'same-origin' }, { host: "[::1]:8787" }, {}];
    for (const headers of ok) {
      expect((await t.req('/v1/models', upload(headers))).status).toBeLessThan(300);
    }
  });

  it('refuses a cross-site browser write even with a valid key', async () => {
    const t = await makeApp({ API_KEYS: KEY });
    const res = await t.req('/v1/models', upload({ authorization: `Bearer ${KEY}`, origin: 'https://attacker.example' }, '198.51.100.4'));
    expect(await problem(res)).toMatchObject({ status: 403, code: 'cross_site' });
  });

  it.each([['localhost', true], ['LOCALHOST:80', true], ['app.localhost', true], ['127.0.0.1:1', true], ['[::1]:8787', true],
    ['127.0.0.1.nip.io', false], ['evil.example', false], ['0.0.0.0', false], [undefined, false]])('Host %s is loopback: %s', (h, want) => {
    expect(isLoopbackHost(h)).toBe(want);
  });

  it('treats a same-host Origin as same-site', () => {
    const c = (h: Record<string, string>) => ({ req: { header: (n: string) => h[n], url: 'http://127.0.0.1:8787/v1/models' } }) as never;
    expect(isCrossSite(c({ origin: 'http://127.0.0.1:8787' }))).toBe(false);
    expect(isCrossSite(c({ origin: 'http://127.0.0.1:9999' }))).toBe(true);
    expect(isCrossSite(c({}))).toBe(false);
  });
});

describe('failed authentication is rate-limited', () => {
  it('answers wrong keys 429 after the failure burst, per address, while the right key still writes', async () => {
    const now = 1_000_000;
    const t = await makeApp({ API_KEYS: KEY, RATE_LIMIT_AUTH_FAILURE_BURST: '3', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1' }, { now: () => now });
    const wrong = () => t.req('/v1/audits', { method: 'POST', body: '{}', headers: { authorization: 'Bearer wrong-key-0000000000000', 'content-type': 'application/json' }, addr: '203.0.113.5' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await wrong()).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const res = await wrong();
    expect(res.headers.get('retry-after')).toBe('60');
    // Another address has its own failure bucket; a good key from the throttled address is not refused.
    expect((await t.req('/v1/audits', { method: 'POST', body: '{}', headers: { authorization: 'Bearer wrong-key-0000000000000' }, addr: '203.0.113.6' })).status).toBe(401);
    expect((await t.req('/v1/models', upload({ authorization: `Bearer ${KEY}` }, '203.0.113.5'))).status).toBe(201);
  });

  it('buckets IPv6 clients by /64, so rotating addresses inside one /64 gains nothing', async () => {
    const now = 5_000;
    const t = await makeApp({ API_KEYS: KEY, RATE_LIMIT_AUTH_FAILURE_BURST: '2', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1' }, { now: () => now });
    const statuses: number[] = [];
    for (const a of ['2001:4860:1:2::1', '2001:4860:1:2::2', '2001:4860:1:2:ffff::9', '2001:4860:1:2:dead:beef:0:1']) {
      statuses.push((await t.req('/v1/models', upload({ authorization: 'Bearer nope-nope-nope-nope-nope' }, a))).status);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
    expect((await t.req('/v1/models', upload({ authorization: 'Bearer nope-nope-nope-nope-nope' }, '2001:4860:1:3::1'))).status).toBe(401);
  });

  it.each([
    ['2001:db8:a:b:c:d:e:f', 'addr:2001:db8:a:b::/64'], ['[2001:DB8:A:B::1]', 'addr:2001:db8:a:b::/64'], ['::ffff:192.0.2.1', 'addr:192.0.2.1'],
    ['192.0.2.1', 'addr:192.0.2.1'], [undefined, 'addr:unknown'],
  ])('address %s is bucket %s', (a, want) => expect(addressBucket(a)).toBe(want));

  it('refills on the injected clock, not the wall clock', async () => {
    let now = 0;
    const t = await makeApp({ RATE_LIMIT_READ_BURST: '1', RATE_LIMIT_READS_PER_MINUTE: '60' }, { now: () => now });
    expect((await t.req('/v1/keys', { addr: '192.0.2.9' })).status).toBe(200);
    expect((await t.req('/v1/keys', { addr: '192.0.2.9' })).status).toBe(429);
    now += 999;
    expect((await t.req('/v1/keys', { addr: '192.0.2.9' })).status).toBe(429);
    now += 1;
    expect((await t.req('/v1/keys', { addr: '192.0.2.9' })).status).toBe(200);
  });
});
