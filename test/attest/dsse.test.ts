// DSSE PAE against the spec's example; in-toto statements signed and verified; every tampering detected.
import { describe, expect, it } from 'vitest';
import { pae, type DsseEnvelope } from '../../src/attest/dsse';
import { exportPublicJwk, generateSigningKey, type PublicJwk, type SigningKey } from '../../src/attest/ed25519';
import { fromBase64, fromUtf8, sha256Hex, toBase64, utf8 } from '../../src/attest/encoding';
import {
  AUDIT_PREDICATE_TYPE, createStatement, signStatement, subjectMatches, verifyEnvelope, type Statement,
} from '../../src/attest/statement';

describe('PAE', () => {
  it('matches the DSSE spec example', () => {
    const out = pae('http://example.com/HelloWorld', utf8('hello world'));
    expect(fromUtf8(out)).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('counts bytes, not characters', () => {
    expect(fromUtf8(pae('t', utf8('é')))).toBe('DSSEv1 1 t 2 é');
  });
});

async function fixture(): Promise<{ key: SigningKey; jwk: PublicJwk; model: Uint8Array; statement: Statement; env: DsseEnvelope }> {
  const key = await generateSigningKey();
  const jwk = await exportPublicJwk(key);
  const model = utf8('{"modelTopology":{}}');
  const statement = createStatement([{ name: 'model', digest: { sha256: await sha256Hex(model) } }],
    { reportId: '0123456789abcdef0123456789abcdef', robustAccuracy: [{ eps: 0.1, acc: 0.42 }] });
  return { key, jwk, model, statement, env: await signStatement(statement, key) };
}

const mutate = (env: DsseEnvelope, f: (e: DsseEnvelope) => void): DsseEnvelope => {
  const copy = structuredClone(env);
  f(copy);
  return copy;
};

describe('in-toto Statement in a DSSE envelope', () => {
  it('has the documented shape and verifies under the signer\'s JWKS', async () => {
    const { jwk, model, statement, env } = await fixture();
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    expect(env.signatures).toEqual([{ keyid: jwk.kid, sig: expect.any(String) }]);
    expect(fromBase64(env.signatures[0].sig)!.length).toBe(64);
    const decoded = JSON.parse(fromUtf8(fromBase64(env.payload)!));
    expect(decoded._type).toBe('https://in-toto.io/Statement/v1');
    expect(decoded.predicateType).toBe(AUDIT_PREDICATE_TYPE);
    const res = await verifyEnvelope(env, { keys: [jwk] });
    expect(res).toEqual({ ok: true, statement, keyid: jwk.kid });
    if (res.ok) {
      expect(await subjectMatches(res.statement, 'model', model)).toBe(true);
      expect(await subjectMatches(res.statement, 'model', utf8('other'))).toBe(false);
    }
  });

  it('detects a flipped bit at every byte of the payload', async () => {
    const { jwk, env } = await fixture();
    const payload = fromBase64(env.payload)!;
    for (let i = 0; i < payload.length; i++) {
      const p = payload.slice();
      p[i] ^= 0x01;
      const res = await verifyEnvelope(mutate(env, (e) => { e.payload = toBase64(p); }), [jwk]);
      expect(res.ok).toBe(false);
    }
  });

  it('detects a flipped bit at every byte of the signature', async () => {
    const { jwk, env } = await fixture();
    const sig = fromBase64(env.signatures[0].sig)!;
    for (let i = 0; i < sig.length; i++) {
      const s = sig.slice();
      s[i] ^= 0x80;
      const res = await verifyEnvelope(mutate(env, (e) => { e.signatures[0].sig = toBase64(s); }), [jwk]);
      expect(res.ok).toBe(false);
    }
  });

  it('detects a changed subject digest, payloadType or keyid', async () => {
    const { jwk, statement, env } = await fixture();
    const forged = structuredClone(statement);
    const d = forged.subject[0].digest.sha256;
    forged.subject[0].digest.sha256 = (d[0] === '0' ? '1' : '0') + d.slice(1);
    const cases: [DsseEnvelope, RegExp][] = [
      [mutate(env, (e) => { e.payload = toBase64(utf8(JSON.stringify(forged))); }), /does not verify/],
      [mutate(env, (e) => { e.payloadType = 'application/json'; }), /payloadType/],
      [mutate(env, (e) => { e.signatures[0].keyid = jwk.kid.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')); }), /trusted keyid/],
    ];
    for (const [bad, reason] of cases) {
      const res = await verifyEnvelope(bad, [jwk]);
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.reason).toMatch(reason);
    }
  });

  it('refuses a signature by a key outside the set, even if the JWKS entry claims its kid', async () => {
    const { env } = await fixture();
    const stranger = await exportPublicJwk(await generateSigningKey());
    expect((await verifyEnvelope(env, [stranger])).ok).toBe(false);
    // A JWKS entry with the signer's kid but another x must not be trusted for that keyid.
    const lying = { ...stranger, kid: env.signatures[0].keyid };
    expect((await verifyEnvelope(env, [lying])).ok).toBe(false);
  });

  it('accepts when any one of several signatures is by a trusted key', async () => {
    const { jwk, env } = await fixture();
    const other: SigningKey = await generateSigningKey();
    const extra = (await signStatement(JSON.parse(fromUtf8(fromBase64(env.payload)!)), other)).signatures[0];
    const both = mutate(env, (e) => { e.signatures.unshift(extra); });
    expect((await verifyEnvelope(both, [jwk])).ok).toBe(true);
  });

  it('refuses malformed envelopes and statements without throwing', async () => {
    const { key, jwk } = await fixture();
    for (const junk of [null, 'x', {}, { payloadType: 'application/vnd.in-toto+json', payload: '!!', signatures: [] }]) {
      expect((await verifyEnvelope(junk, [jwk])).ok).toBe(false);
    }
    const notStatement = await signStatement({ hello: 1 } as unknown as Statement, key);
    const res = await verifyEnvelope(notStatement, [jwk]);
    expect(res.ok).toBe(false);
    expect(() => createStatement([{ name: 'm', digest: { sha256: 'abc' } }], {})).toThrow(/sha256/);
  });
});
