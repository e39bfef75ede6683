// The hostile input corpus: named requests, each with the 4xx status and problem code the API must answer.
import { Deflate } from 'fflate';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { encode as encodePng } from 'fast-png';
import { zipSync } from 'fflate';
import { crc32 } from '../../src/engine/data/zip';
import { craftZip, npyBytes, xyNpz, f32 } from '../engine/data/craft';
import { bin, tinyModel } from '../routes/_app';

export interface HostileCase {
  name: string;
  /** 'model' and 'dataset' cases are uploads that must leave nothing under models/ or datasets/. */
  kind: 'model' | 'dataset' | 'audit';
  path: string;
  body: () => { body: BodyInit; type?: string };
  status: number;
  /** Acceptable problem codes (an input can be refused at more than one layer). */
  code: string[];
  /** Measure the server's memory through this case (bombs; memory.test.ts, in a server process of its own). */
  memory?: boolean;
}

/** The upload limit the corpus runs under (MAX_UPLOAD_BYTES): small, so that oversized bodies stay cheap. */
export const UPLOAD_LIMIT = 4 * 1024 * 1024;
export const JSON_LIMIT = 64 * 1024;
/** What a zip bomb would inflate to: 64x the upload limit. */
export const BOMB_BYTES = 256 * 1024 * 1024;

type Json = {
  modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
};
const enc = new TextEncoder();
const SHARD = 'group1-shard1of1.bin';

/** The tiny valid model (4x4x1 -> 3), edited by `edit`, as multipart parts. */
function model(edit: (json: Json, shard: Uint8Array) => Uint8Array | void = () => {}, jsonText?: (t: string) => string) {
  const m = tinyModel(11);
  const json = JSON.parse(new TextDecoder().decode(m.json)) as Json;
  const shard = new Uint8Array(m.files.get(SHARD)!);
  const newShard = edit(json, shard) ?? shard;
  const text = JSON.stringify(json);
  return { json: enc.encode(jsonText ? jsonText(text) : text), shard: newShard };
}

function form(parts: [string, Uint8Array][]): () => { body: BodyInit } {
  return () => {
    const f = new FormData();
    for (const [name, bytes] of parts) f.append(name === 'model.json' ? 'model' : 'shard', new File([bin(bytes)], name));
    return { body: f };
  };
}
const modelForm = (m: { json: Uint8Array; shard: Uint8Array }) => form([['model.json', m.json], [SHARD, m.shard]]);
const withFloat = (at: number, v: number) => (_: Json, s: Uint8Array) => { new DataView(s.buffer, s.byteOffset).setFloat32(at, v, true); };
const raw = (bytes: Uint8Array, type: string) => () => ({ body: bin(bytes), type });

/** `size` zeros deflated in 1 MiB pieces (the test never holds the inflated bytes). */
export function deflatedZeros(size: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const d = new Deflate({ level: 9 }, (chunk) => { parts.push(chunk); });
  const piece = new Uint8Array(1 << 20);
  for (let left = size; left > 0; left -= piece.length) d.push(left > piece.length ? piece : piece.subarray(0, left), left <= piece.length);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

let bomb: Uint8Array | undefined;
const bombStream = () => (bomb ??= deflatedZeros(BOMB_BYTES));
/** Builds the costly inputs up front (a second or more), so that no case's time includes them. */
export function prepareCorpus(): void {
  bombStream();
}
const good = () => model();
const npy = (descr: string, shape: string, body: Uint8Array) => npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`, body);
const y2 = () => npy('<i4', '(2,)', new Uint8Array(8));
const smallPng = () => encodePng({ width: 2, height: 2, channels: 1, depth: 8, data: new Uint8Array(4) });
const zlibOf = (b: Uint8Array) => Uint8Array.from([0x78, 0x01, 0x01, b.length & 255, b.length >> 8, ~b.length & 255, (~b.length >> 8) & 255, ...b]);
/** A gray 8-bit PNG of any declared size around the given zlib stream (CRCs right, so only limits or inflating refuse it). */
function pngOf(width: number, height: number, idat: Uint8Array): Uint8Array {
  const be = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  const chunk = (type: string, data: ArrayLike<number>) => {
    const td = Uint8Array.from([...type].map((c) => c.charCodeAt(0)).concat(Array.from(data)));
    return [...be(data.length), ...td, ...be(crc32(td))];
  };
  const head = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...chunk('IHDR', [...be(width), ...be(height), 8, 0, 0, 0, 0])];
  const out = new Uint8Array(head.length + 12 + idat.length + 12);
  out.set(head);
  out.set([...be(idat.length), 0x49, 0x44, 0x41, 0x54], head.length);
  out.set(idat, head.length + 8);
  out.set(be(crc32(Uint8Array.from([0x49, 0x44, 0x41, 0x54, ...idat]))), head.length + 8 + idat.length);
  out.set(chunk('IEND', []), head.length + 12 + idat.length);
  return out;
}
const goodNpz = () => datasetToNpz({ name: 'd', x: new Uint8Array(2 * 16), y: Int32Array.of(0, 1), shape: [2, 4, 4, 1] });
const audit = (body: string, type = 'application/json') => () => ({ body, type });

export const CORPUS: HostileCase[] = [
  // model.json itself
  { name: 'model.json truncated mid-document', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: modelForm(model(undefined, (t) => t.slice(0, t.length >> 1))) },
  { name: 'model.json not JSON (binary)', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: form([['model.json', Uint8Array.of(0xff, 0xfe, 0, 1)]]) },
  { name: 'model.json a JSON array', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: form([['model.json', enc.encode('[]')]]) },
  { name: 'model.json with a string for layers', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: modelForm(model((j) => { (j.modelTopology.config as unknown as Record<string, unknown>).layers = 'x'; })) },
  { name: 'model.json missing', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: form([[SHARD, good().shard]]) },
  // weights vs manifest
  { name: 'shard shorter than the manifest', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: modelForm(model((_, s) => s.subarray(0, s.length - 4))) },
  { name: 'shard longer than the manifest', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: modelForm(model((_, s) => Uint8Array.from([...s, 0, 0, 0, 0]))) },
  { name: 'shard missing', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: form([['model.json', good().json]]) },
  { name: 'extra file not in the manifest', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: form([['model.json', good().json], [SHARD, good().shard], ['other.bin', Uint8Array.of(1)]]) },
  { name: 'NaN weight', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: modelForm(model(withFloat(8, NaN))) },
  { name: '+Inf weight', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: modelForm(model(withFloat(0, Infinity))) },
  { name: '-Inf bias', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: modelForm(model(withFloat(16 * 3 * 4, -Infinity))) },
  // shapes
  { name: 'shape product overflows 2^53', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model', 'limit_exceeded'], body: modelForm(model((j) => { j.weightsManifest[0]!.weights[0]!.shape = [2 ** 31, 2 ** 31, 2 ** 31]; })) },
  { name: 'dense of 2^40 units', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model', 'limit_exceeded'], body: modelForm(model((j) => { j.modelTopology.config.layers[1]!.config.units = 2 ** 40; })) },
  { name: 'parameters over the memory budget (16 x 2M)', kind: 'model', path: '/v1/models', status: 422, code: ['limit_exceeded'], body: modelForm(model((j) => {
    j.modelTopology.config.layers[1]!.config.units = 2_000_000;
    j.weightsManifest[0]!.weights[0]!.shape = [16, 2_000_000];
    j.weightsManifest[0]!.weights[1]!.shape = [2_000_000];
  })) },
  { name: 'input 100000x100000 image', kind: 'model', path: '/v1/models', status: 422, code: ['limit_exceeded', 'invalid_model'], body: modelForm(model((j) => { j.modelTopology.config.layers[0]!.config.batch_input_shape = [null, 100000, 100000, 1]; })) },
  { name: 'negative dimension', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_model'], body: modelForm(model((j) => { j.weightsManifest[0]!.weights[1]!.shape = [-3]; })) },
  // layers and dtypes
  { name: 'unknown layer class', kind: 'model', path: '/v1/models', status: 422, code: ['unsupported_layer'], body: modelForm(model((j) => { j.modelTopology.config.layers[1]!.class_name = 'LSTM'; })) },
  { name: 'unknown dtype', kind: 'model', path: '/v1/models', status: 422, code: ['unsupported_dtype'], body: modelForm(model((j) => { j.weightsManifest[0]!.weights[0]!.dtype = 'complex64'; })) },
  { name: 'string dtype', kind: 'model', path: '/v1/models', status: 422, code: ['unsupported_dtype'], body: modelForm(model((j) => { j.weightsManifest[0]!.weights[0]!.dtype = 'string'; })) },
  // file names and zips
  { name: 'multipart file name with a path', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: form([['model.json', good().json], ['../../etc/passwd', good().shard]]) },
  { name: 'zip entry ../model.json', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: raw(craftZip([{ name: '../model.json', data: good().json }]), 'application/zip') },
  { name: 'zip entry /abs/model.json', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: raw(craftZip([{ name: '/abs/model.json', data: good().json }]), 'application/zip') },
  { name: 'zip entry a\\..\\model.json', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: raw(craftZip([{ name: 'a\\..\\model.json', data: good().json }]), 'application/zip') },
  { name: 'zip nested two folders deep', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: raw(craftZip([{ name: 'a/b/model.json', data: good().json }]), 'application/zip') },
  { name: 'zip bomb, honest directory (256 MiB declared)', kind: 'model', path: '/v1/models', status: 413, code: ['too_large'], memory: true,
    body: () => ({ body: bin(craftZip([{ name: 'model.json', data: new Uint8Array(0), raw: bombStream(), declaredSize: BOMB_BYTES }])), type: 'application/zip' }) },
  { name: 'zip bomb, lying directory (1 KiB declared, 256 MiB inflated)', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], memory: true,
    body: () => ({ body: bin(craftZip([{ name: 'model.json', data: new Uint8Array(0), raw: bombStream(), declaredSize: 1024 }])), type: 'application/zip' }) },
  { name: 'zip of 10000 entries', kind: 'model', path: '/v1/models', status: 422, code: ['limit_exceeded'], body: raw(craftZip(Array.from({ length: 10000 }, (_, i) => ({ name: `f${i}`, data: new Uint8Array(0) }))), 'application/zip') },
  { name: 'not a zip at all', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: raw(enc.encode('PK but not really'), 'application/zip') },
  { name: 'zip truncated', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: raw(craftZip([{ name: 'model.json', data: good().json }]).subarray(0, 40), 'application/zip') },
  // the door
  { name: 'model body over the upload limit', kind: 'model', path: '/v1/models', status: 413, code: ['too_large'], body: raw(new Uint8Array(UPLOAD_LIMIT + 1), 'application/zip') },
  { name: 'model as text/plain', kind: 'model', path: '/v1/models', status: 415, code: ['unsupported_media_type'], body: raw(good().json, 'text/plain') },
  { name: 'model without a content type', kind: 'model', path: '/v1/models', status: 415, code: ['unsupported_media_type'], body: raw(good().json, '') },
  { name: 'multipart without a boundary', kind: 'model', path: '/v1/models', status: 400, code: ['invalid_multipart'], body: raw(enc.encode('--x\r\n'), 'multipart/form-data') },
  { name: 'multipart cut mid-part', kind: 'model', path: '/v1/models', status: 400, code: ['invalid_multipart'], body: raw(enc.encode('--b\r\nContent-Disposition: form-data; name="model"; filename="model.json"\r\n\r\n{"a"'), 'multipart/form-data; boundary=b') },
  { name: 'multipart text field', kind: 'model', path: '/v1/models', status: 422, code: ['invalid_upload'], body: () => { const f = new FormData(); f.append('model', 'not a file'); return { body: f }; } },
  // data sets
  { name: 'npz: x of complex128', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(xyNpz("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 4, 4), }", new Uint8Array(2 * 16 * 16), "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8)), 'application/octet-stream') },
  { name: 'npz: x of unicode strings', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('<U4', '(2,)', new Uint8Array(32)) }, { name: 'y.npy', data: y2() }]), 'application/octet-stream') },
  { name: 'npz: object dtype (pickle)', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('|O', '(2,)', new Uint8Array(16)) }, { name: 'y.npy', data: y2() }]), 'application/octet-stream') },
  { name: 'npz: x and y of different lengths', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('|u1', '(3, 4, 4)', new Uint8Array(48)) }, { name: 'y.npy', data: y2() }]), 'application/octet-stream') },
  { name: 'npz: float labels', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('|u1', '(2, 4, 4)', new Uint8Array(32)) }, { name: 'y.npy', data: npy('<f4', '(2,)', f32(0.5, 1)) }]), 'application/octet-stream') },
  { name: 'npz: negative labels', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('|u1', '(2, 4, 4)', new Uint8Array(32)) }, { name: 'y.npy', data: npy('<i4', '(2,)', new Uint8Array(new Int32Array([-1, 0]).buffer)) }]), 'application/octet-stream') },
  { name: 'npz: float x with NaN', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('<f4', '(2, 2)', f32(NaN, 0, 0, 0)) }, { name: 'y.npy', data: y2() }]), 'application/octet-stream') },
  { name: 'npz: rank-5 x', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('|u1', '(2, 1, 1, 1, 1)', new Uint8Array(2)) }, { name: 'y.npy', data: y2() }]), 'application/octet-stream') },
  { name: 'npz: shape that overflows', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data', 'limit_exceeded'], body: raw(craftZip([{ name: 'x.npy', data: npy('|u1', '(9007199254740993, 4294967296)', new Uint8Array(2)) }, { name: 'y.npy', data: y2() }]), 'application/octet-stream') },
  { name: 'npz: missing y', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('|u1', '(2, 4, 4)', new Uint8Array(32)) }]), 'application/octet-stream') },
  { name: 'npz: entry ../y.npy', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(craftZip([{ name: 'x.npy', data: npy('|u1', '(2, 4, 4)', new Uint8Array(32)) }, { name: '../y.npy', data: y2() }]), 'application/octet-stream') },
  { name: 'npz: zip bomb, lying directory', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], memory: true,
    body: () => ({ body: bin(craftZip([{ name: 'x.npy', data: new Uint8Array(0), raw: bombStream(), declaredSize: 4096 }])), type: 'application/octet-stream' }) },
  { name: 'npz: truncated', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: () => ({ body: bin(goodNpz().subarray(0, 100)), type: 'application/octet-stream' }) },
  { name: 'npz: empty body', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: raw(new Uint8Array(0), 'application/octet-stream') },
  { name: 'npz body over the upload limit', kind: 'dataset', path: '/v1/datasets', status: 413, code: ['too_large'], body: raw(new Uint8Array(UPLOAD_LIMIT + 1), 'application/octet-stream') },
  { name: 'npz as application/json', kind: 'dataset', path: '/v1/datasets', status: 415, code: ['unsupported_media_type'], body: () => ({ body: bin(goodNpz()), type: 'application/json' }) },
  // zips of class folders of images
  { name: 'images: PNG of a few bytes declaring 100000x100000', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['limit_exceeded'], memory: true,
    body: () => ({ body: bin(zipSync({ 'cat/a.png': smallPng(), 'dog/huge.png': pngOf(100000, 100000, zlibOf(new Uint8Array(2))) })), type: 'application/zip' }) },
  { name: 'images: PNG whose 4x4 pixels inflate to 256 MiB (deflate bomb)', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], memory: true,
    body: () => ({ body: bin(zipSync({ 'cat/a.png': smallPng(), 'dog/bomb.png': pngOf(4, 4, Uint8Array.from([0x78, 0x01, ...bombStream()])) }, { level: 0 })), type: 'application/zip' }) },
  { name: 'images: zip bomb, lying directory', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], memory: true,
    body: () => ({ body: bin(craftZip([{ name: 'cat/a.png', data: new Uint8Array(0), raw: bombStream(), declaredSize: 4096 }])), type: 'application/zip' }) },
  { name: 'images: corrupt PNG', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: () => ({ body: bin(zipSync({ 'cat/a.png': smallPng().subarray(0, 30) })), type: 'application/zip' }) },
  { name: 'images: JPEG signature then garbage', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: () => ({ body: bin(zipSync({ 'cat/a.jpg': Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 2, 1, 2, 3]) })), type: 'application/zip' }) },
  { name: 'images: no class folder', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: () => ({ body: bin(zipSync({ 'a.png': smallPng() })), type: 'application/zip' }) },
  { name: 'images: class folder without images', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: () => ({ body: bin(zipSync({ 'cat/a.png': smallPng(), 'dog/a.gif': new Uint8Array(8) })), type: 'application/zip' }) },
  { name: 'images: path ../cat/a.png', kind: 'dataset', path: '/v1/datasets', status: 422, code: ['invalid_data'], body: () => ({ body: bin(craftZip([{ name: '../cat/a.png', data: smallPng() }])), type: 'application/zip' }) },
  // audit requests (JSON)
  { name: 'audit: bad JSON', kind: 'audit', path: '/v1/audits', status: 400, code: ['invalid_json', 'invalid_request'], body: audit('{"model": ') },
  { name: 'audit: JSON null', kind: 'audit', path: '/v1/audits', status: 400, code: ['invalid_request', 'invalid_json'], body: audit('null') },
  { name: 'audit: JSON array', kind: 'audit', path: '/v1/audits', status: 400, code: ['invalid_request'], body: audit('[1,2]') },
  { name: 'audit: text/plain', kind: 'audit', path: '/v1/audits', status: 415, code: ['unsupported_media_type'], body: audit('{"model":"x"}', 'text/plain') },
  { name: 'audit: body over the JSON limit', kind: 'audit', path: '/v1/audits', status: 413, code: ['too_large'], body: audit(`{"model":"${'a'.repeat(JSON_LIMIT)}"}`) },
  { name: 'audit: model id with a path', kind: 'audit', path: '/v1/audits', status: 400, code: ['invalid_request'], body: audit('{"model":"../../etc/passwd","data":"mnist"}') },
  { name: 'audit: unknown model', kind: 'audit', path: '/v1/audits', status: 404, code: ['not_found'], body: audit(`{"model":"${'a'.repeat(64)}","data":"mnist"}`) },
  { name: 'audit: epsilons of NaN as string', kind: 'audit', path: '/v1/audits', status: 400, code: ['invalid_request'], body: audit(`{"model":"${'a'.repeat(64)}","data":"mnist","epsilons":["NaN"]}`) },
  { name: 'audit: limit 1e308', kind: 'audit', path: '/v1/audits', status: 400, code: ['invalid_request'], body: audit(`{"model":"${'a'.repeat(64)}","data":"mnist","limit":1e308}`) },
  { name: 'audit: __proto__ key', kind: 'audit', path: '/v1/audits', status: 400, code: ['invalid_request'], body: audit(`{"__proto__":{"limit":1},"model":"x"}`) },
];
