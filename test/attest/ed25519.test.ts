// Ed25519 keys against RFC 8037's published vectors, plus import/export round trips.
import { describe, expect, it } from 'vitest';
import {
  exportPrivateJwk, exportPublicJwk, generateSigningKey, importPrivateKey, importPublicJwk, jwkThumbprint, withEd25519,
} from '../../src/attest/ed25519';
import { fromBase64, toBase64Url, utf8 } from '../../src/attest/encoding';

// RFC 8037 Appendix A.1 (key), A.3 (thumbprint), A.4 (JWS over "Example of Ed25519 signing").
const RFC = {
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  kid: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
  signingInput: 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc',
  sig: 'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
};

describe('Ed25519 (RFC 8037 vectors)', () => {
  it('computes the published RFC 7638 thumbprint', async () => {
    expect(await jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: RFC.x })).toBe(RFC.kid);
  });

  it('verifies the published signature with the published public key, and nothing else', async () => {
    const pub = await importPublicJwk({ x: RFC.x });
    const sig = fromBase64(RFC.sig)!;
    const verify = (msg: string, s: Uint8Array) => withEd25519((alg) => crypto.subtle.verify(alg, pub, s as Uint8Array<ArrayBuffer>, utf8(msg)));
    expect(await verify(RFC.signingInput, sig)).toBe(true);
    expect(await verify(RFC.signingInput + 'x', sig)).toBe(false);
    const bad = sig.slice();
    bad[10] ^= 1;
    expect(await verify(RFC.signingInput, bad)).toBe(false);
  });

  it('imports the published private key and reproduces the published (deterministic) signature', async () => {
    const key = await importPrivateKey({ kty: 'OKP', crv: 'Ed25519', d: RFC.d, x: RFC.x });
    expect(key.kid).toBe(RFC.kid);
    const sig = await withEd25519((alg) => crypto.subtle.sign(alg, key.privateKey, utf8(RFC.signingInput)));
    expect(toBase64Url(new Uint8Array(sig))).toBe(RFC.sig);
    expect(await exportPublicJwk(key)).toEqual({ kty: 'OKP', crv: 'Ed25519', x: RFC.x, kid: RFC.kid, alg: 'EdDSA', use: 'sig' });
  });

  it('refuses a private JWK whose x is not the public key of d', async () => {
    const other = await exportPublicJwk(await generateSigningKey());
    // Node's importKey already checks the pair ("Invalid keyData"); elsewhere our sign/verify probe does.
    await expect(importPrivateKey({ kty: 'OKP', crv: 'Ed25519', d: RFC.d, x: other.x })).rejects.toThrow();
  });
});

describe('key round trips', () => {
  it('generate -> export private JWK -> import gives the same kid and public key', async () => {
    const key = await generateSigningKey({ extractable: true });
    const jwk = await exportPrivateJwk(key);
    const again = await importPrivateKey(jwk);
    expect(again.kid).toBe(key.kid);
    expect(await exportPublicJwk(again)).toEqual(await exportPublicJwk(key));
  });

  it('imports PKCS#8 bytes and recovers the public key', async () => {
    const key = await importPrivateKey({ kty: 'OKP', crv: 'Ed25519', d: RFC.d, x: RFC.x }, { extractable: true });
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', key.privateKey));
    const fromDer = await importPrivateKey(pkcs8);
    expect(fromDer.kid).toBe(RFC.kid);
  });

  it('generated keys are not extractable unless asked', async () => {
    const key = await generateSigningKey();
    expect(key.privateKey.extractable).toBe(false);
    await expect(exportPrivateJwk(key)).rejects.toThrow();
  });
});
