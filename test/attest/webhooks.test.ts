// Webhook signatures: GitHub's published HMAC example, Hugging Face secrets, MLflow v1 signatures.
import { describe, expect, it } from 'vitest';
import { toBase64, toHex } from '../../src/attest/encoding';
import { hmacSha256, timingSafeEqual, verifyHuggingFaceSecret, verifyMlflowSignature } from '../../src/attest/webhooks';

describe('hmacSha256', () => {
  it('reproduces GitHub\'s published X-Hub-Signature-256 example', async () => {
    const mac = await hmacSha256("It's a Secret to Everybody", 'Hello, World!');
    expect(`sha256=${toHex(mac)}`).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });
});

describe('timingSafeEqual', () => {
  it('compares content and length', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe('verifyHuggingFaceSecret', () => {
  it('accepts only the exact secret', async () => {
    expect(await verifyHuggingFaceSecret('s3cret', 's3cret')).toBe(true);
    for (const h of ['s3cre', 's3cret ', 'S3cret', '', null, undefined]) {
      expect(await verifyHuggingFaceSecret(h, 's3cret')).toBe(false);
    }
    await expect(verifyHuggingFaceSecret('x', '')).rejects.toThrow(/non-empty/);
  });
});

describe('verifyMlflowSignature', () => {
  const secret = 'mlflow-webhook-secret';
  const payload = '{"entity":"model_version","action":"created","data":{"name":"m","version":"3"}}';
  const deliveryId = '6c1e6a4e-2f4b-4a55-9f0d-0b3c6f0d7e11';
  const timestamp = '1767225600'; // 2026-01-01T00:00:00Z
  const now = 1767225600_000 + 30_000;
  const sign = async (id = deliveryId, ts = timestamp, body = payload, key = secret) =>
    `v1,${toBase64(await hmacSha256(key, `${id}.${ts}.${body}`))}`;

  it('accepts a good signature and tells the caller how long to remember the delivery id', async () => {
    const res = await verifyMlflowSignature({ deliveryId, timestamp, payload, signatureHeader: await sign(), secret, now });
    expect(res).toEqual({ ok: true, deliveryId, timestamp: 1767225600, rememberUntil: (1767225600 + 300) * 1000 });
    const bytes = new TextEncoder().encode(payload);
    expect((await verifyMlflowSignature({ deliveryId, timestamp, payload: bytes, signatureHeader: await sign(), secret, now })).ok).toBe(true);
  });

  it('refuses a signature over other content, another secret, or a bad header', async () => {
    const headers = [
      await sign(deliveryId, timestamp, payload + ' '), await sign('other-id'), await sign(deliveryId, '1767225601'),
      await sign(deliveryId, timestamp, payload, 'wrong'), (await sign()).replace('v1,', 'v2,'), 'v1,', 'v1,@@@', null,
    ];
    for (const signatureHeader of headers) {
      const res = await verifyMlflowSignature({ deliveryId, timestamp, payload, signatureHeader, secret, now });
      expect(res.ok).toBe(false);
    }
  });

  it('refuses timestamps outside the tolerance, either way, even when correctly signed', async () => {
    const signatureHeader = await sign();
    for (const offset of [-301_000, 301_000]) {
      const res = await verifyMlflowSignature({ deliveryId, timestamp, payload, signatureHeader, secret, now: 1767225600_000 + offset });
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.reason).toMatch(/within 300 s/);
    }
    const tight = await verifyMlflowSignature({ deliveryId, timestamp, payload, signatureHeader, secret, now, toleranceSeconds: 10 });
    expect(tight.ok).toBe(false);
  });

  it('refuses missing or malformed ids and timestamps', async () => {
    const signatureHeader = await sign();
    for (const [id, ts] of [['', timestamp], [deliveryId, ''], [deliveryId, '12.5'], [deliveryId, '-1'], [null, timestamp]] as const) {
      expect((await verifyMlflowSignature({ deliveryId: id, timestamp: ts, payload, signatureHeader, secret, now })).ok).toBe(false);
    }
  });
});
