// Fuzz properties (fast-check) shared by test/reliability/fuzz.test.ts (fixed seed, few runs) and scripts/fuzz.ts
// (many runs): parsers throw only typed 4xx errors and stay within their limits; the API never answers 5xx.
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { datasetToNpz, datasetFromNpz } from '../../src/engine/data/dataset';
import { EngineError } from '../../src/engine/errors';
import { loadLayersModel } from '../../src/engine/model/load';
import { modelFromZip } from '../../src/routes/body';
import { ProblemError } from '../../src/routes/problem';
import { craftZip } from '../engine/data/craft';
import { bin, makeApp, multipart, post, tinyModel, zipOf, type TestApp } from '../routes/_app';

/** Engine codes that map to a 4xx (src/routes/problem.ts ENGINE_STATUS); engine_failure is a 500. */
const MODEL_CODES = ['invalid_model', 'unsupported_layer', 'unsupported_dtype', 'limit_exceeded'];
const DATA_CODES = ['invalid_data', 'limit_exceeded'];
/** The npz limits the fuzzed parser runs under: a declared size above them must be refused, not allocated. */
const NPZ_LIMITS = { maxTotalBytes: 1 << 20, maxEntryBytes: 1 << 20 };
/** Heap growth allowed per parse: the limit plus generous slack for the parser's own objects. */
const HEAP_BOUND = 16 * NPZ_LIMITS.maxTotalBytes;

export class PropertyFailure extends Error {}
function must(cond: boolean, message: string): void {
  if (!cond) throw new PropertyFailure(message);
}

/** JS heap and ArrayBuffer bytes (a typed array a parser allocates lives outside the JS heap). */
const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };

/**
 * Runs `f`; a throw must be an EngineError with one of `codes`; no tensor is left, and the heap and ArrayBuffers
 * grew by less than the bound right after the call (before a collection could hide an oversized allocation).
 */
function typedOrOk(f: () => void, codes: string[]): void {
  const tensors = tf.memory().numTensors;
  const heap = used();
  try {
    f();
  } catch (e) {
    must(e instanceof EngineError, `expected an EngineError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    must(codes.includes((e as EngineError).code), `expected one of ${codes.join(', ')}, got ${(e as EngineError).code}: ${(e as Error).message}`);
  }
  must(tf.memory().numTensors === tensors, `expected ${tensors} tensors after the call, got ${tf.memory().numTensors}`);
  must(used() - heap < HEAP_BOUND, `expected the heap and ArrayBuffers to grow by less than ${HEAP_BOUND} bytes, got ${used() - heap}`);
}

// ---- model.json and shards -------------------------------------------------------------------------------------

type Path = (string | number)[];
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) paths(c, [...at, Array.isArray(v) ? Number(k) : k], out);
  return out;
}
function setAt(root: unknown, p: Path, value: unknown): unknown {
  if (p.length === 0) return value;
  let o = root as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[p[p.length - 1]!] = value;
  return root;
}

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53 + 1, 1e308, -0, 'float32', 'uint8', 'float16', 'int32', 'complex64', 'Dense', 'Conv2D', '__proto__', null, [], {}),
  fc.array(fc.oneof(fc.integer({ min: -2, max: 2 ** 31 }), fc.constant(null)), { maxLength: 7 }),
);

/** A valid tiny model with 1-3 values replaced anywhere in model.json, and the shard cut, grown or flipped. */
export const mutatedModel = fc.record({
  edits: fc.array(fc.tuple(fc.nat(), hostileValue), { minLength: 1, maxLength: 3 }),
  shard: fc.oneof(
    fc.constant({ kind: 'same' as const }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('grow' as const), extra: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  ),
}).map(({ edits, shard }) => {
  const m = tinyModel(5);
  let json: unknown = JSON.parse(new TextDecoder().decode(m.json));
  for (const [i, v] of edits) {
    const all = paths(json);
    json = setAt(json, all[i % all.length]!, structuredClone(v));
  }
  let bytes = new Uint8Array(m.files.get('group1-shard1of1.bin')!);
  if (shard.kind === 'cut') bytes = bytes.subarray(0, shard.at % bytes.length);
  if (shard.kind === 'grow') bytes = Uint8Array.from([...bytes, ...shard.extra]);
  if (shard.kind === 'flip') bytes[shard.at % bytes.length] = shard.byte;
  return { json, shards: new Map([['group1-shard1of1.bin', bytes]]) };
});

export const modelLoaderProperty = () => fc.property(mutatedModel, ({ json, shards }) => {
  typedOrOk(() => loadLayersModel(json, shards).dispose(), MODEL_CODES);
});

/** model.json as arbitrary text (JSON or not), including the huge-number and deep-nesting corners. */
export const modelTextProperty = () => fc.property(fc.oneof(fc.string(), fc.json({ maxDepth: 4 }), fc.constantFrom('[[[[[[[[[[[[', '{"format":"layers-model"}', '1e999')), (text) => {
  typedOrOk(() => loadLayersModel(text, new Map()).dispose(), MODEL_CODES);
});

// ---- .npz ---------------------------------------------------------------------------------------------------

const validNpz = () => datasetToNpz({ name: 'f', x: Uint8Array.from({ length: 3 * 16 }, (_, i) => i), y: Int32Array.of(0, 1, 2), shape: [3, 4, 4, 1] }, { compress: true });

/** Bytes, a valid .npz with cuts and byte flips, or a crafted zip declaring any size. */
export const hostileNpz = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.record({ cut: fc.nat(), flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }) }).map(({ cut, flips }) => {
    const b = validNpz().slice();
    for (const [at, v] of flips) b[at % b.length] = v;
    return cut % 3 === 0 ? b.subarray(0, cut % b.length) : b;
  }),
  fc.record({
    name: fc.oneof(fc.constantFrom('x.npy', 'y.npy', '../x.npy', 'x', '/y.npy', 'x.npy\0'), fc.string({ maxLength: 12 })),
    data: fc.uint8Array({ maxLength: 128 }),
    declaredSize: fc.option(fc.oneof(fc.nat(), fc.constant(0xffffffff)), { nil: undefined }),
    deflate: fc.boolean(),
  }).map((e) => craftZip([e])),
);

export const npzParserProperty = () => fc.property(hostileNpz, (bytes) => {
  typedOrOk(() => { datasetFromNpz(bytes, 'fuzz', NPZ_LIMITS); }, DATA_CODES);
});

// ---- model zips (the upload path) ---------------------------------------------------------------------------

export const modelZipProperty = () => fc.property(
  fc.array(fc.record({ name: fc.oneof(fc.constantFrom('model.json', 'a/model.json', '../model.json', 'a/b/c', '__MACOSX/x', 'w.bin'), fc.string({ maxLength: 20 })), data: fc.uint8Array({ maxLength: 64 }), deflate: fc.boolean(), declaredSize: fc.option(fc.nat(), { nil: undefined }) }), { maxLength: 5 }),
  (entries) => {
    let zip: Uint8Array;
    try {
      zip = craftZip(entries);
    } catch {
      return; // a name the crafting helper itself cannot encode
    }
    try {
      modelFromZip(zip, 8, 1 << 16);
    } catch (e) {
      must(e instanceof ProblemError && e.status >= 400 && e.status < 500, `expected a 4xx ProblemError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  },
);

// ---- the HTTP API ---------------------------------------------------------------------------------------------

export interface ApiFixture {
  t: TestApp;
  model: string;
}

/** An in-process app (MemoryStore, fake driver) with one tiny model and a stub fetcher: no network, ever. */
export async function apiFixture(): Promise<ApiFixture> {
  const t = await makeApp(
    { RATE_LIMIT_WRITES_PER_MINUTE: '1000000', RATE_LIMIT_WRITE_BURST: '1000000', RATE_LIMIT_READS_PER_MINUTE: '1000000', RATE_LIMIT_READ_BURST: '1000000', HF_WEBHOOK_SECRET: 'fuzz-secret' },
    { fetcher: async () => new Response('no network in fuzzing', { status: 404 }) },
  );
  const res = await t.req('/v1/models', { method: 'POST', body: multipart(tinyModel(5)) });
  const { id } = (await res.json()) as { id: string };
  return { t, model: id };
}

/** Status < 500, and any non-2xx is problem+json with a matching status (502 only for the stubbed fetch). */
async function answered(res: Response, allow502 = false): Promise<void> {
  const text = await res.text();
  must(res.status < 500 || (allow502 && res.status === 502), `expected a status below 500, got ${res.status}: ${text.slice(0, 200)}`);
  if (res.status >= 300) {
    must(res.headers.get('content-type') === 'application/problem+json', `expected problem+json, got ${res.headers.get('content-type')}`);
    must((JSON.parse(text) as { status: number }).status === res.status, 'expected the problem status to match the HTTP status');
  }
}

const settingsValue = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.double(), fc.integer(), fc.array(fc.oneof(fc.double(), fc.constantFrom('fgsm', 'pgd', 'apgd', 'square', 'transfer', 'bpda')), { maxLength: 4 }));
const auditBody = (model: string) => fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom('model', 'data', 'attacks', 'epsilons', 'bits', 'limit', 'steps', 'stepSize', 'restarts', 'queries', 'seed', 'chunkSize', 'defense', 'eot', 'examples', 'surrogate', 'norm', 'x'), settingsValue)
    .map((d) => ({ model, data: 'mnist', ...d })),
);

export const auditApiProperty = (f: ApiFixture) => fc.asyncProperty(auditBody(f.model), async (body) => {
  await answered(await f.t.req('/v1/audits', post(body)));
});

export const rawBodyProperty = (f: ApiFixture) => fc.asyncProperty(
  fc.constantFrom('/v1/models', '/v1/datasets', '/v1/audits', '/v1/hooks/huggingface', '/v1/hooks/mlflow'),
  fc.constantFrom('application/json', 'application/zip', 'multipart/form-data; boundary=x', 'application/octet-stream', 'text/plain', ''),
  fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.string({ maxLength: 256 }).map((s) => new TextEncoder().encode(s)), fc.constant(zipOf({ 'model.json': new Uint8Array(2) }))),
  async (path, type, bytes) => {
    const headers: Record<string, string> = type ? { 'content-type': type } : {};
    if (path.endsWith('huggingface')) headers['x-webhook-secret'] = 'fuzz-secret';
    await answered(await f.t.req(path, { method: 'POST', body: bin(bytes), headers }));
  },
);

export const hookEventProperty = (f: ApiFixture) => fc.asyncProperty(
  fc.record({
    event: fc.record({ action: fc.constantFrom('create', 'update', 'delete', 1), scope: fc.constantFrom('repo.content', 'repo', 'repo.content.x', '') }, { requiredKeys: [] }),
    repo: fc.record({ type: fc.constantFrom('model', 'dataset', null), name: fc.oneof(fc.constantFrom('acme/m', '../x', 'a/b/c', 'a/..'), fc.string({ maxLength: 30 })), headSha: fc.oneof(fc.constant('a'.repeat(40)), fc.string({ maxLength: 41 })) }, { requiredKeys: [] }),
  }, { requiredKeys: [] }),
  async (event) => {
    await answered(await f.t.req('/v1/hooks/huggingface', { ...post(event, { 'x-webhook-secret': 'fuzz-secret' }) }), true);
  },
);

export const readApiProperty = (f: ApiFixture) => fc.asyncProperty(
  fc.constantFrom('/v1/audits/', '/v1/models/', '/v1/datasets/', '/v1/audits?limit=', '/v1/audits?cursor=', '/v1/audits/'),
  fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('a'.repeat(32), 'a'.repeat(64), '..%2f..%2fetc', '%00', '-1', '1e9', 'mnist')),
  fc.constantFrom('', '/report', '/report.html', '/report.junit.xml', '/attestation'),
  async (base, value, tail) => {
    let url = base + encodeURIComponent(value);
    if (base.endsWith('/') && base.startsWith('/v1/audits')) url += tail;
    await answered(await f.t.req(url));
  },
);

/** Every property by name, for the script; `api` ones need the fixture. (`any`: each property has its own argument tuple.) */
/* eslint-disable @typescript-eslint/no-explicit-any */
export const SYNC_PROPERTIES: Record<string, () => fc.IProperty<any>> = { modelLoader: modelLoaderProperty, modelText: modelTextProperty, npzParser: npzParserProperty, modelZip: modelZipProperty };
export const API_PROPERTIES: Record<string, (f: ApiFixture) => fc.IAsyncProperty<any>> = { auditApi: auditApiProperty, rawBody: rawBodyProperty, hookEvent: hookEventProperty, readApi: readApiProperty };

/** fast-check parameters: per-run timeout for async properties, so that a hang fails the run instead of the suite. */
export const params = (seed: number, numRuns: number) => ({ seed, numRuns, timeout: 5000, endOnFailure: true });
