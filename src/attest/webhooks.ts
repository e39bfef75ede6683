// Webhook authenticity: Hugging Face shared secret, MLflow HMAC-SHA256 ("v1,<base64>") with a timestamp window.
import { bufferSource, fromBase64, sha256, utf8 } from './encoding';

const bytesOf = (v: Uint8Array | string) => (typeof v === 'string' ? utf8(v) : bufferSource(v));

export async function hmacSha256(key: Uint8Array | string, data: Uint8Array | string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', bytesOf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, bytesOf(data)));
}

/** Constant time in the content; lengths are not secret here (digests of fixed size). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Hugging Face sends the configured secret verbatim in X-Webhook-Secret. Comparing SHA-256 digests
 *  keeps the comparison constant-time and hides the secret's length. */
export async function verifyHuggingFaceSecret(header: string | null | undefined, secret: string): Promise<boolean> {
  if (!secret) throw new Error('expected a non-empty webhook secret, got an empty one');
  if (typeof header !== 'string') return false;
  return timingSafeEqual(await sha256(utf8(header)), await sha256(utf8(secret)));
}

export interface MlflowInput {
  /** X-MLflow-Delivery-Id */
  deliveryId: string | null | undefined;
  /** X-MLflow-Timestamp: Unix seconds as sent. */
  timestamp: string | null | undefined;
  /** The raw request body, exactly as received (before any JSON parsing). */
  payload: Uint8Array | string;
  /** X-MLflow-Signature: "v1,<base64 HMAC-SHA256>". */
  signatureHeader: string | null | undefined;
  secret: string;
  /** Milliseconds since the epoch, as Date.now(); default Date.now(). */
  now?: number;
  /** Allowed clock difference either way; default 300 s. */
  toleranceSeconds?: number;
}

/** On success, the caller rejects a replay by remembering deliveryId until rememberUntil (ms since the epoch):
 *  after that the timestamp check alone refuses the same delivery. */
export type MlflowCheck =
  | { ok: true; deliveryId: string; timestamp: number; rememberUntil: number }
  | { ok: false; reason: string };

export async function verifyMlflowSignature(input: MlflowInput): Promise<MlflowCheck> {
  const { deliveryId, timestamp, signatureHeader, secret } = input;
  const now = input.now ?? Date.now();
  const tolerance = input.toleranceSeconds ?? 300;
  if (!secret) throw new Error('expected a non-empty webhook secret, got an empty one');
  if (!deliveryId) return { ok: false, reason: 'expected a delivery id, got none' };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `expected a Unix timestamp in seconds, got ${JSON.stringify(timestamp ?? null)}` };
  const ts = Number(timestamp);
  if (Math.abs(now / 1000 - ts) > tolerance) {
    return { ok: false, reason: `expected a timestamp within ${tolerance} s of now, got one ${Math.round(now / 1000 - ts)} s off` };
  }
  const sent = signatureHeader?.startsWith('v1,') ? fromBase64(signatureHeader.slice(3)) : null;
  if (!sent) return { ok: false, reason: 'expected a signature header "v1,<base64>", got none or malformed' };
  const payload = typeof input.payload === 'string' ? input.payload : new TextDecoder().decode(input.payload);
  const expected = await hmacSha256(secret, `${deliveryId}.${timestamp}.${payload}`);
  if (!timingSafeEqual(sent, expected)) return { ok: false, reason: 'expected a matching signature, got a different one' };
  return { ok: true, deliveryId, timestamp: ts, rememberUntil: (ts + tolerance) * 1000 };
}
