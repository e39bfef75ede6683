// DSSE v1 envelopes (secure-systems-lab/dsse protocol.md) signed with Ed25519 over the PAE.
import { importPublicJwk, jwkThumbprint, withEd25519, type PublicJwk, type SigningKey } from './ed25519';
import { bufferSource, fromBase64, toBase64, utf8 } from './encoding';

export interface DsseSignature { keyid: string; sig: string }
export interface DsseEnvelope { payloadType: string; payload: string; signatures: DsseSignature[] }

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII decimal byte counts. */
export function pae(payloadType: string, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const type = utf8(payloadType);
  const head = utf8(`DSSEv1 ${type.length} ${payloadType} ${body.length} `);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

export async function signEnvelope(payloadType: string, payload: Uint8Array, key: SigningKey): Promise<DsseEnvelope> {
  const sig = await withEd25519((alg) => crypto.subtle.sign(alg, key.privateKey, pae(payloadType, payload)));
  return { payloadType, payload: toBase64(payload), signatures: [{ keyid: key.kid, sig: toBase64(new Uint8Array(sig)) }] };
}

export type EnvelopeCheck =
  | { ok: true; payload: Uint8Array; keyid: string }
  | { ok: false; reason: string };

function isEnvelope(e: unknown): e is DsseEnvelope {
  const v = e as DsseEnvelope;
  return typeof v === 'object' && v !== null && typeof v.payloadType === 'string' && typeof v.payload === 'string' &&
    Array.isArray(v.signatures) && v.signatures.every((s) => typeof s?.keyid === 'string' && typeof s?.sig === 'string');
}

/**
 * Accepts when one signature verifies under a trusted key whose RFC 7638 thumbprint equals its keyid.
 * The thumbprint is recomputed from x, so a JWKS entry cannot vouch for another key by claiming its kid.
 */
export async function verifyDsse(envelope: unknown, trusted: PublicJwk[], expectedType: string): Promise<EnvelopeCheck> {
  if (!isEnvelope(envelope)) return { ok: false, reason: 'expected a DSSE envelope {payloadType, payload, signatures[]}' };
  if (envelope.payloadType !== expectedType) {
    return { ok: false, reason: `expected payloadType ${expectedType}, got ${envelope.payloadType}` };
  }
  const payload = fromBase64(envelope.payload);
  if (!payload) return { ok: false, reason: 'expected payload in base64, got malformed data' };
  const byKid = new Map<string, PublicJwk>();
  for (const k of trusted) byKid.set(await jwkThumbprint(k), k);
  const message = pae(envelope.payloadType, payload);
  let known = false;
  for (const s of envelope.signatures) {
    const jwk = byKid.get(s.keyid);
    const sig = fromBase64(s.sig);
    if (!jwk || !sig) continue;
    known = true;
    const pub = await importPublicJwk(jwk);
    if (await withEd25519((alg) => crypto.subtle.verify(alg, pub, bufferSource(sig), message))) return { ok: true, payload, keyid: s.keyid };
  }
  return { ok: false, reason: known ? 'expected a valid signature, got one that does not verify' : 'expected a signature by a trusted keyid, got none' };
}
