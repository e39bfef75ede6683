import { describe, expect, it } from 'vitest';
import { checkUrl, fetchModel, isPublicAddress, type Fetcher } from '../../src/routes/fetcher';
import { ProblemError } from '../../src/routes/problem';

const ANY: string[] = [];
const refused = async (url: string, allowed = ANY, resolve?: (h: string) => Promise<string[]>) => {
  const e = await checkUrl(url, allowed, resolve).then(() => null, (err: unknown) => err);
  return e instanceof ProblemError && e.code === 'fetch_refused';
};

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1',
    '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe', '2002:c0a8:0101::1', '2001:db8::1', '[::1]', 'not-an-ip',
  ])('%s is not public', (ip) => expect(isPublicAddress(ip)).toBe(false));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (ip) => expect(isPublicAddress(ip)).toBe(true));
});

describe('checkUrl', () => {
  it.each([
    'http://huggingface.co/m.json', 'ftp://huggingface.co/x', 'https://127.0.0.1/x', 'https://2130706433/x', 'https://0x7f000001/x',
    'https://0177.0.0.1/x', 'https://127.1/x', 'https://[::1]/x', 'https://[::ffff:127.0.0.1]/x', 'https://[fe80::1]/x',
    'https://169.254.169.254/latest/meta-data', 'https://localhost/x', 'https://foo.localhost/x', 'https://intranet/x',
    'https://user:pw@huggingface.co/x', 'https://huggingface.co:8443/x', 'not a url',
  ])('refuses %s', async (url) => expect(await refused(url)).toBe(true));

  it('applies the allowlist with exact and *.suffix entries', async () => {
    const allow = ['huggingface.co', '*.hf.co'];
    expect(await refused('https://huggingface.co/a', allow)).toBe(false);
    expect(await refused('https://cdn.hf.co/a', allow)).toBe(false);
    expect(await refused('https://hf.co/a', allow)).toBe(true);
    expect(await refused('https://evilhuggingface.co/a', allow)).toBe(true);
    expect(await refused('https://huggingface.co.evil.com/a', allow)).toBe(true);
  });

  it('refuses a host that resolves to a private address', async () => {
    expect(await refused('https://rebind.example.com/a', ANY, async () => ['93.184.216.34', '10.0.0.5'])).toBe(true);
    expect(await refused('https://ok.example.com/a', ANY, async () => ['93.184.216.34'])).toBe(false);
  });
});

describe('fetchModel', () => {
  const config = { allowedHosts: ['huggingface.co', '*.hf.co'], maxBytes: 1000, timeoutMs: 5000 };
  const json = new TextEncoder().encode(JSON.stringify({ weightsManifest: [{ paths: ['w.bin'], weights: [] }] }));

  it('follows redirects within the rules and re-checks every hop', async () => {
    const calls: string[] = [];
    const fetcher: Fetcher = async (url) => {
      calls.push(url);
      if (url.endsWith('/model.json')) return new Response(json);
      if (url === 'https://huggingface.co/r/w.bin') return new Response(null, { status: 302, headers: { location: 'https://cdn.hf.co/blob' } });
      return new Response(new Uint8Array(4));
    };
    const files = await fetchModel('https://huggingface.co/r/model.json', fetcher, config);
    expect(files.files.get('w.bin')).toHaveLength(4);
    expect(calls).toEqual(['https://huggingface.co/r/model.json', 'https://huggingface.co/r/w.bin', 'https://cdn.hf.co/blob']);
  });

  it('refuses a redirect to a private address without following it', async () => {
    const calls: string[] = [];
    const fetcher: Fetcher = async (url) => {
      calls.push(url);
      return new Response(null, { status: 301, headers: { location: 'https://169.254.169.254/latest' } });
    };
    await expect(fetchModel('https://huggingface.co/r/model.json', fetcher, { ...config, allowedHosts: [] })).rejects.toMatchObject({ code: 'fetch_refused' });
    expect(calls).toEqual(['https://huggingface.co/r/model.json']);
  });

  it('caps the bytes over all files', async () => {
    const fetcher: Fetcher = async (url) => (url.endsWith('model.json') ? new Response(json) : new Response(new Uint8Array(2000)));
    await expect(fetchModel('https://huggingface.co/r/model.json', fetcher, config)).rejects.toMatchObject({ code: 'limit_exceeded' });
  });
});
