// SSRF: addresses judged by the IANA special-purpose registries (IPv4, IPv6, embedded IPv4 in its mapped,
// translated, compatible, NAT64 and 6to4 forms); the connection goes to the vetted address with no second look-up;
// a body that stalls is a 502; and no answer reveals what a DNS look-up returned.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fetchModel, isPublicAddress, vetUrl, type Fetcher } from '../../src/routes/fetcher';
import { ProblemError } from '../../src/routes/problem';
import { pinnedFetch } from '../../src/runtime/fetch.node';
import { mnistModel } from '../routes/_app';

const CONFIG = { allowedHosts: [] as string[], maxBytes: 1 << 20, timeoutMs: 5000 };

describe('IANA special-purpose registries', () => {
  it.each([
    '192.0.0.8', '192.0.0.170', '192.31.196.1', '192.52.193.1', '192.88.99.1', '192.175.48.1', '198.18.0.1', '198.19.255.255',
    '240.0.0.1', '255.255.255.255', '100.127.255.254', '0.1.2.3',
    '100::1', '100:0:0:1::1', '2001::1', '2001:2::1', '2001:10::1', '2001:20::1', '2001:db8:ffff::1', '3fff::1', '5f00::1',
    'fec0::1', '64:ff9b:1::1', '::', '::1', '::127.0.0.1', '::8.8.8.8', '::ffff:0:7f00:1', '::ffff:0:a00:1', '::ffff:169.254.169.254',
    '64:ff9b::10.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::1', '2002:a9fe:a9fe::1', '4000::1', 'fe80::1%eth0', '[fd00::1]',
  ])('%s is not public', (ip) => expect(isPublicAddress(ip)).toBe(false));

  it.each(['8.8.8.8', '93.184.216.34', '2a00:1450:4001::1', '2606:4700::1111', '64:ff9b::8.8.8.8', '::ffff:0:808:808', '2002:0808:0808::1', '192.0.3.1'])(
    '%s is public', (ip) => expect(isPublicAddress(ip)).toBe(true));
});

describe('the vetted address is the one connected to', () => {
  it('resolves each hop once and hands the fetcher the vetted address', async () => {
    const lookups: string[] = [];
    const seen: (string | undefined)[] = [];
    const model = mnistModel(2);
    const fetcher: Fetcher = async (url, init) => {
      seen.push(init?.address);
      return new Response((url.endsWith('model.json') ? model.json : [...model.files.values()][0]!) as Uint8Array<ArrayBuffer>);
    };
    await fetchModel('https://models.example.com/m/model.json', fetcher, CONFIG, async (h) => { lookups.push(h); return ['93.184.216.34']; });
    expect(lookups).toEqual(['models.example.com', 'models.example.com']);
    expect(seen).toEqual(['93.184.216.34', '93.184.216.34']);
  });

  it('pinnedFetch connects to the given address without resolving the name (a name that can never resolve)', async () => {
    const hosts: string[] = [];
    const server = createServer((req, res) => { hosts.push(String(req.headers.host)); res.end('pinned'); });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await pinnedFetch(`http://never-resolves.invalid:${port}/x`, { address: '127.0.0.1' });
      expect(await res.text()).toBe('pinned');
      expect(hosts).toEqual([`never-resolves.invalid:${port}`]); // the name is kept for Host (and SNI over https)
      await expect(pinnedFetch(`http://never-resolves.invalid:${port}/x`)).rejects.toThrow(); // without the pin, DNS fails
    } finally {
      server.close();
    }
  });
});

describe('answers', () => {
  it('turn a body that stalls past the deadline into a 502, even when the stream ignores the abort', async () => {
    const stalled: Fetcher = async () => new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array(10)); } })); // never closes
    const e = await fetchModel('https://models.example.com/model.json', stalled, { ...CONFIG, timeoutMs: 100 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProblemError);
    expect(e).toMatchObject({ status: 502, code: 'fetch_failed' });
  });

  it.each([
    ['a name resolving to a private address among public ones', ['93.184.216.34', '10.9.8.7'], '10.9.8.7'],
    ['a name resolving to the metadata address', ['169.254.169.254'], '169.254'],
    ['a name resolving to IPv6 loopback', ['::1'], '::1'],
  ])('never name what the DNS returned: %s', async (_, addrs, secret) => {
    const e = await vetUrl('https://models.example.com/model.json', [], async () => addrs).catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 422, code: 'fetch_refused' });
    expect((e as Error).message).not.toContain(secret);
  });

  it('never name the internal address a redirect pointed to', async () => {
    const redirect: Fetcher = async () => new Response(null, { status: 302, headers: { location: 'https://10.20.30.40/secret' } });
    const e = await fetchModel('https://models.example.com/model.json', redirect, CONFIG).catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 422, code: 'fetch_refused' });
    expect((e as Error).message).not.toContain('10.20.30.40');
  });

  it('download a manifest path once: a manifest naming one file twice is refused before any shard is fetched', async () => {
    const calls: string[] = [];
    const json = new TextEncoder().encode(JSON.stringify({ weightsManifest: [{ paths: ['w.bin', 'w.bin'], weights: [] }, { paths: ['./w.bin'], weights: [] }] }));
    const fetcher: Fetcher = async (url) => { calls.push(url); return new Response(url.endsWith('model.json') ? json : new Uint8Array(4)); };
    const e = await fetchModel('https://models.example.com/model.json', fetcher, CONFIG).catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 422, code: 'invalid_model' });
    expect(calls).toEqual(['https://models.example.com/model.json']);
  });
});
