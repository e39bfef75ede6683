// IP addresses: parsing, the IANA special-purpose registries (what may be fetched), loopback, and rate-limit buckets.

/** Four octets of a dotted IPv4 address, or null. */
export function parseV4(ip: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const o = m?.slice(1).map(Number);
  return o && o.every((x) => x <= 255) ? o : null;
}

/** Eight 16-bit groups of an IPv6 address (brackets, a zone and a dotted IPv4 tail allowed), or null. */
export function parseV6(ip: string): number[] | null {
  let s = ip.toLowerCase().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const o = parseV4(tail[1]!);
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

const v4num = (o: number[]) => ((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!;

/**
 * IANA IPv4 Special-Purpose Address Registry (2024 revision), every block, plus multicast (224/4). Blocks the
 * registry marks globally reachable (192.31.196/24 AS112, 192.52.193/24 AMT, 192.175.48/24) are still refused:
 * no model is served from them, and refusing costs nothing.
 */
const V4_SPECIAL: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.31.196.0', 24], ['192.52.193.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
  ['192.175.48.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const V4_BLOCKS = V4_SPECIAL.map(([a, len]) => ({ net: v4num(parseV4(a)!), mask: len === 0 ? 0 : (~0 << (32 - len)) >>> 0 }));

function publicV4(o: number[]): boolean {
  const n = v4num(o);
  return !V4_BLOCKS.some((b) => ((n & b.mask) >>> 0) === b.net);
}

/** Whether the first `len` bits of `g` equal those of `prefix` (groups). */
function inV6(g: number[], prefix: number[], len: number): boolean {
  for (let i = 0; i < 8 && len > 0; i++, len -= 16) {
    const bits = Math.min(16, len);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if (((g[i]! ^ (prefix[i] ?? 0)) & mask) !== 0) return false;
  }
  return true;
}

/**
 * IANA IPv6 Special-Purpose Address Registry blocks not covered by the rules in isPublicAddress: 64:ff9b:1::/48
 * (local-use translation), 100::/64 and 100:0:0:1::/64 (discard), 2001::/23 (IETF protocol assignments: Teredo,
 * ORCHIDv2, benchmarking...), 2001:db8::/32 and 3fff::/20 (documentation), 5f00::/16 (SRv6 SIDs), fc00::/7,
 * fe80::/10, fec0::/10, ff00::/8.
 */
const V6_SPECIAL: [number[], number][] = [
  [[0x64, 0xff9b, 1], 48], [[0x100], 64], [[0x100, 0, 0, 1], 64], [[0x2001], 23], [[0x2001, 0xdb8], 32], [[0x3fff], 20],
  [[0x5f00], 16], [[0xfc00], 7], [[0xfe80], 10], [[0xfec0], 10], [[0xff00], 8],
];

/**
 * True only for globally reachable unicast addresses. IPv4 embedded in IPv6 (mapped ::ffff:0:0/96, translated
 * ::ffff:0:0:0/96, compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as the IPv4 address it carries;
 * outside 2000::/3 (the global unicast space) nothing is public.
 */
export function isPublicAddress(ip: string): boolean {
  const a = parseV4(ip);
  if (a) return publicV4(a);
  const g = parseV6(ip);
  if (!g) return false;
  const embedded = (hi: number, lo: number) => publicV4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  if (g.slice(0, 4).every((x) => x === 0)) {
    if (g[4] === 0 && g[5] === 0xffff) return embedded(g[6]!, g[7]!); // mapped
    if (g[4] === 0xffff && g[5] === 0) return embedded(g[6]!, g[7]!); // translated (RFC 2765)
    return false; // ::, ::1, IPv4-compatible (deprecated) and the rest of ::/64
  }
  if (inV6(g, [0x64, 0xff9b], 96)) return embedded(g[6]!, g[7]!);
  if (g[0] === 0x2002) return embedded(g[1]!, g[2]!);
  if (V6_SPECIAL.some(([p, len]) => inV6(g, p, len))) return false;
  return inV6(g, [0x2000], 3);
}

/** 127.0.0.0/8, ::1, and IPv4-mapped forms of 127/8. */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const v4 = parseV4(addr);
  if (v4) return v4[0] === 127;
  const g = parseV6(addr);
  if (!g || !g.slice(0, 5).every((x) => x === 0)) return false;
  return (g[5] === 0 && g[6] === 0 && g[7] === 1) || (g[5] === 0xffff && g[6]! >> 8 === 127);
}

/**
 * The rate-limit bucket of an address: IPv4 as is, IPv6 by its /64 (one subscriber usually holds a whole /64, so
 * per-address buckets would give them 2^64 of them); IPv4-mapped IPv6 as the IPv4 address.
 */
export function addressBucket(addr: string | undefined): string {
  if (!addr) return 'addr:unknown';
  if (parseV4(addr)) return `addr:${addr}`;
  const g = parseV6(addr);
  if (!g) return `addr:${addr.slice(0, 64)}`;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `addr:${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return `addr:${g.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
}
