// Content addresses: a model's id is the SHA-256 of model.json's bytes followed by each shard's bytes in
// manifest order, so a user can check it with `cat model.json shard1.bin ... | sha256sum`. An ONNX model's
// model.json is qaudit's own wrapper (engine/model/files.ts onnxModelJson) and is left out: its id is
// `cat model.onnx [its external data files, sorted by name] | sha256sum`, the file the user has.
import { sha256Hex } from '../attest/encoding';

const ONNX_WRAPPER = new TextEncoder().encode('{"format":"onnx"');
const isOnnxWrapper = (json: Uint8Array) => json.byteLength >= ONNX_WRAPPER.byteLength && ONNX_WRAPPER.every((b, i) => json[i] === b);

export async function modelDigest(modelJson: Uint8Array, shards: readonly Uint8Array[]): Promise<string> {
  const json = isOnnxWrapper(modelJson) ? new Uint8Array(0) : modelJson;
  const all = new Uint8Array(json.byteLength + shards.reduce((a, s) => a + s.byteLength, 0));
  all.set(json, 0);
  let o = json.byteLength;
  for (const s of shards) {
    all.set(s, o);
    o += s.byteLength;
  }
  return sha256Hex(all);
}
