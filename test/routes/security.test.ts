import { describe, expect, it } from 'vitest';
import { RateLimiter, isLoopback } from '../../src/routes/security';
import { makeApp, multipart, problem, tinyModel } from './_app';

const KEY = 'k-0123456789abcdef0123';
const upload = (headers: Record<string, string> = {}, addr?: string) => ({ method: 'POST', body: multipart(tinyModel()), headers, addr });

describe('auth', () => {
  it('without configured keys accepts writes from loopback only (403 otherwise); reads are open', async () => {
    const t = await makeApp();
    expect((await t.req('/v1/models', upload({}, '127.0.0.1'))).status).toBe(201);
    expect((await t.req('/v1/models', upload({}, '::1'))).status).toBe(200);
    const p = await problem(await t.req('/v1/models', upload({}, '203.0.113.7')));
    expect(p).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await t.req('/v1/keys', { addr: '203.0.113.7' })).status).toBe(200);
  });

  it('with keys: 401 without or with a wrong key, from any address; the right key writes', async () => {
    const t = await makeApp({ API_KEYS: `other-key-000000000000, ${KEY}` });
    const none = await t.req('/v1/models', upload({}, '127.0.0.1'));
    expect(await problem(none)).toMatchObject({ status: 401, field: 'header.authorization' });
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await problem(await t.req('/v1/models', upload({ authorization: `Bearer ${KEY}x` })))).toMatchObject({ status: 401 });
    expect(await problem(await t.req('/v1/models', upload({ authorization: KEY })))).toMatchObject({ status: 401 });
    expect((await t.req('/v1/models', upload({ authorization: `Bearer ${KEY}` }, '198.51.100.1'))).status).toBe(201);
    expect((await t.req(`/v1/audits/${'0'.repeat(32)}`, { method: 'DELETE', addr: '198.51.100.1' })).status).toBe(401);
  });

  it('lets only key holders (or loopback without keys) list job ids, while one job stays readable by its id', async () => {
    const t = await makeApp({ API_KEYS: KEY });
    for (const list of ['/v1/audits', '/v1/retrain-jobs', '/v1/audits/?limit=5']) {
      expect(await problem(await t.req(list, { addr: '198.51.100.1' }))).toMatchObject({ status: 401, code: 'unauthorized' });
      expect((await t.req(list, { headers: { authorization: `Bearer ${KEY}` }, addr: '198.51.100.1' })).status).toBe(200);
    }
    expect((await t.req(`/v1/audits/${'0'.repeat(32)}`, { addr: '198.51.100.1' })).status).toBe(404);
    const open = await makeApp();
    expect((await open.req('/v1/audits', { addr: '127.0.0.1' })).status).toBe(200);
    expect(await problem(await open.req('/v1/retrain-jobs', { addr: '203.0.113.7' }))).toMatchObject({ status: 403 });
  });

  it('rejects configured keys shorter than 16 characters at start-up', async () => {
    await expect(makeApp({ API_KEYS: 'short' })).rejects.toThrow(/API_KEYS/);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a caller has spent its burst, per key', async () => {
    const t = await makeApp({ API_KEYS: `${KEY},second-key-00000000000`, RATE_LIMIT_WRITE_BURST: '2', RATE_LIMIT_WRITES_PER_MINUTE: '6' });
    const auth = { authorization: `Bearer ${KEY}` };
    for (let i = 0; i < 2; i++) expect((await t.req('/v1/models', upload(auth))).status).toBeLessThan(300);
    const limited = await t.req('/v1/models', upload(auth));
    expect(await problem(limited)).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another key has its own bucket.
    expect((await t.req('/v1/models', upload({ authorization: 'Bearer second-key-00000000000' }))).status).toBeLessThan(300);
  });

  it('limits reads per client address', async () => {
    const t = await makeApp({ RATE_LIMIT_READ_BURST: '3' });
    for (let i = 0; i < 3; i++) expect((await t.req('/v1/keys', { addr: '192.0.2.1' })).status).toBe(200);
    expect((await t.req('/v1/keys', { addr: '192.0.2.1' })).status).toBe(429);
    expect((await t.req('/v1/keys', { addr: '192.0.2.2' })).status).toBe(200);
  });

  it('refills tokens over time', () => {
    const r = new RateLimiter({ perMinute: 60, burst: 1 });
    expect(r.take('a', 0)).toBe(0);
    expect(r.take('a', 10)).toBe(1);
    expect(r.take('a', 1010)).toBe(0);
  });
});

describe('isLoopback', () => {
  it.each([['127.0.0.1', true], ['127.8.9.10', true], ['::1', true], ['::ffff:127.0.0.1', true], ['[::1]', true],
    ['10.0.0.1', false], ['::ffff:10.0.0.1', false], ['128.0.0.1', false], [undefined, false]])('%s -> %s', (a, want) => {
    expect(isLoopback(a)).toBe(want);
  });
});
