// Content addresses: a model's id is the SHA-256 of model.json's bytes followed by each shard's bytes in
// manifest order, so a user can check it with `cat model.json shard1.bin ... | sha256sum`.
import { sha256Hex } from '../attest/encoding';

export async function modelDigest(json: Uint8Array, shards: readonly Uint8Array[]): Promise<string> {
  const all = new Uint8Array(json.byteLength + shards.reduce((a, s) => a + s.byteLength, 0));
  all.set(json, 0);
  let o = json.byteLength;
  for (const s of shards) {
    all.set(s, o);
    o += s.byteLength;
  }
  return sha256Hex(all);
}
