// Ed25519 keys over WebCrypto: generate, import (JWK or PKCS#8), export public JWK with an RFC 7638 kid.
import { bufferSource, fromBase64, sha256, toBase64Url, utf8 } from './encoding';

export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface PrivateJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
}

export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** RFC 7638 thumbprint of the public key: the DSSE keyid. */
  kid: string;
}

type Alg = { name: string; namedCurve?: string };
// Current WebCrypto (Node >= 18.4, recent workerd) names it 'Ed25519'; older workerd only knew NODE-ED25519.
const CANDIDATES: Alg[] = [{ name: 'Ed25519' }, { name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' }];
let chosen: Alg | undefined;

/** Runs op with the first algorithm name the runtime supports, and remembers it. */
export async function withEd25519<T>(op: (alg: Alg) => Promise<T>): Promise<T> {
  if (chosen) return op(chosen);
  let last: unknown;
  for (const alg of CANDIDATES) {
    try {
      const out = await op(alg);
      chosen = alg;
      return out;
    } catch (e) {
      if ((e as Error)?.name !== 'NotSupportedError') throw e;
      last = e;
    }
  }
  throw last;
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace, base64url. */
export async function jwkThumbprint(jwk: { crv: string; kty: string; x: string }): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return toBase64Url(await sha256(utf8(canonical)));
}

export async function importPublicJwk(jwk: { x: string }): Promise<CryptoKey> {
  if (fromBase64(jwk.x)?.length !== 32) throw new Error('expected x to be a 32-byte base64url Ed25519 key');
  return withEd25519((alg) =>
    crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, alg, true, ['verify']));
}

async function fromPrivateJwk(jwk: PrivateJwk, extractable: boolean): Promise<SigningKey> {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') {
    throw new Error(`expected an OKP Ed25519 private JWK with d and x, got kty=${jwk.kty} crv=${jwk.crv}`);
  }
  const privateKey = await withEd25519((alg) =>
    crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, alg, extractable, ['sign']));
  const publicKey = await importPublicJwk(jwk);
  // WebCrypto does not check that x belongs to d; a mismatched pair would sign under a wrong kid.
  const probe = utf8('qaudit key check');
  const sig = await withEd25519((alg) => crypto.subtle.sign(alg, privateKey, probe));
  if (!(await withEd25519((alg) => crypto.subtle.verify(alg, publicKey, sig, probe)))) {
    throw new Error('expected the JWK x to be the public key of d, got a mismatched pair');
  }
  return { privateKey, publicKey, kid: await jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }) };
}

/** A JWK (with d and x) or PKCS#8 bytes (e.g. `openssl genpkey -algorithm ed25519 -outform DER`). */
export async function importPrivateKey(key: PrivateJwk | Uint8Array, options: { extractable?: boolean } = {}): Promise<SigningKey> {
  if (!(key instanceof Uint8Array)) return fromPrivateJwk(key, options.extractable ?? false);
  // PKCS#8 holds only the seed; the public half is recovered through a JWK export of a transient key.
  const tmp = await withEd25519((alg) => crypto.subtle.importKey('pkcs8', bufferSource(key), alg, true, ['sign']));
  const jwk = (await crypto.subtle.exportKey('jwk', tmp)) as PrivateJwk;
  return fromPrivateJwk(jwk, options.extractable ?? false);
}

export async function generateSigningKey(options: { extractable?: boolean } = {}): Promise<SigningKey> {
  const pair = (await withEd25519((alg) =>
    crypto.subtle.generateKey(alg, options.extractable ?? false, ['sign', 'verify']))) as CryptoKeyPair;
  const { x } = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as { x: string };
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, kid: await jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }) };
}

/** The public half as published in a JWKS (e.g. served at /.well-known/jwks.json). */
export async function exportPublicJwk(key: SigningKey | CryptoKey): Promise<PublicJwk> {
  const pub = 'publicKey' in key ? key.publicKey : key;
  const { x } = (await crypto.subtle.exportKey('jwk', pub)) as { x: string };
  return { kty: 'OKP', crv: 'Ed25519', x, kid: await jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }), alg: 'EdDSA', use: 'sig' };
}

/** Only for keys generated or imported with extractable: true (to store in a secret). */
export async function exportPrivateJwk(key: SigningKey): Promise<PrivateJwk> {
  const { x, d } = (await crypto.subtle.exportKey('jwk', key.privateKey)) as { x: string; d: string };
  return { kty: 'OKP', crv: 'Ed25519', x, d };
}
