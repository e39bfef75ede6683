// Denial of service by cheap requests: reads never redo upload-time work (summaries and data set infos are stored),
// and every parser checks its limits before doing the work (model.json size and nesting, files named once,
// layer and part counts, zip entries against the manifest, inflation bounded by the bytes sent). User-supplied
// names never reach Object.prototype.
import { describe, expect, it, vi } from 'vitest';
import { zipSync } from 'fflate';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { keys } from '../../src/storage/keys';
import { initEngine } from '../../src/engine/backend';
import { MAX_JSON_DEPTH, MAX_MODEL_FILES, MAX_TOPOLOGY_LAYERS } from '../../src/routes/manifest';
import { bin, makeApp, mnistModel, multipart, problem, tinyModel, uploadModel } from '../routes/_app';
import { loadWasm } from '../wasm';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const modelJson = (m = tinyModel()) => JSON.parse(new TextDecoder().decode(m.json)) as Record<string, any>;

/** An app whose engine start-ups are counted: the engine runs for uploads only. */
async function counted(env: Record<string, string> = {}) {
  let engine = 0;
  const t = await makeApp(env, { startEngine: async () => { engine++; await initEngine(await loadWasm()); } });
  return { t, engine: () => engine };
}

describe('reads never redo upload-time work', () => {
  it('answers GET /v1/models/{id} from the summary stored at upload: no engine, no shard read', async () => {
    const { t, engine } = await counted();
    const id = await uploadModel(t);
    const before = engine();
    const summary = ((await (await t.req(`/v1/models/${id}`)).json()) as { summary: unknown }).summary;
    await t.store.delete(keys.modelShard(id, 0)); // were the shards read, this GET would now fail
    for (let i = 0; i < 20; i++) expect((await t.req(`/v1/models/${id}`)).status).toBe(200);
    expect(((await (await t.req(`/v1/models/${id}`)).json()) as { summary: unknown }).summary).toEqual(summary);
    expect(engine()).toBe(before);
  });

  it('summarizes a model stored before summaries were kept once, then serves the stored summary', async () => {
    const { t, engine } = await counted();
    const id = await uploadModel(t);
    const key = (await t.store.list(`models/${id}/`)).keys.find((k) => k.includes('/summary-v'))!;
    await t.store.delete(key);
    const before = engine();
    for (let i = 0; i < 5; i++) expect((await t.req(`/v1/models/${id}`)).status).toBe(200);
    expect(engine() - before).toBe(1);
    expect(await t.store.head(key)).not.toBeNull();
  });

  it('answers GET /v1/datasets/{id} from the info stored at upload, never inflating the .npz again', async () => {
    const t = await makeApp();
    const x = new Uint8Array(20 * 28 * 28), y = Int32Array.from({ length: 20 }, (_, i) => i % 10);
    const up = await t.req('/v1/datasets', { method: 'POST', body: bin(datasetToNpz({ name: 'd', x, y, shape: [20, 28, 28, 1] })), headers: { 'content-type': 'application/octet-stream' } });
    const { id } = (await up.json()) as { id: string };
    await t.store.put(keys.dataset(id), enc('not an npz any more')); // a re-parse would now fail
    const got = await t.req(`/v1/datasets/${id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ samples: 20, shape: [28, 28, 1], classes: 10 });
  });
});

describe('parsers check limits before the work', () => {
  const refused = async (json: Uint8Array | string, files = tinyModel().files, env: Record<string, string> = {}) => {
    const { t, engine } = await counted(env);
    const res = await t.req('/v1/models', { method: 'POST', body: multipart({ json: typeof json === 'string' ? enc(json) : json, files }) });
    return { p: await problem(res), engine: engine(), stored: (await t.store.list('models/')).keys };
  };

  it('refuses a manifest naming one shard twice (422), before the engine runs', async () => {
    const j = modelJson();
    j.weightsManifest[0].paths = [j.weightsManifest[0].paths[0], j.weightsManifest[0].paths[0]];
    const r = await refused(enc(j));
    expect(r.p).toMatchObject({ status: 422, code: 'invalid_model' });
    expect(r.p.detail).toMatch(/twice/);
    expect([r.engine, r.stored]).toEqual([0, []]);
  });

  it.each([
    ['more weight files than allowed', (j: Record<string, any>) => { j.weightsManifest = [{ paths: Array.from({ length: MAX_MODEL_FILES + 1 }, (_, i) => `s${i}.bin`), weights: [] }]; }],
    ['more layers than allowed', (j: Record<string, any>) => {
      const layers = j.modelTopology.config?.layers ?? j.modelTopology.model_config.config.layers;
      layers.push(...Array.from({ length: MAX_TOPOLOGY_LAYERS }, (_, i) => ({ class_name: 'Dropout', config: { name: `d${i}`, rate: 0 } })));
    }],
    // Deep values are spliced in as text: building them as objects would overflow this test's own stack.
    ['inbound_nodes nested 10000 deep', (j: Record<string, any>) => { (j.modelTopology.config ?? j.modelTopology.model_config.config).layers[0].inbound_nodes = 'DEEP'; }, '['.repeat(10_000) + ']'.repeat(10_000)],
    ['a config nested 10000 deep', (j: Record<string, any>) => { j.modelTopology.deep = 'DEEP'; }, '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
  ])('refuses %s with 422 limit_exceeded before the engine runs', async (_, mutate, deep = '') => {
    const j = modelJson();
    mutate(j);
    const r = await refused(JSON.stringify(j).replace('"DEEP"', deep));
    expect(r.p).toMatchObject({ status: 422, code: 'limit_exceeded' });
    expect([r.engine, r.stored]).toEqual([0, []]);
  });

  it('refuses a model.json over 1 MiB before decoding it, and a 1e6-deep one without a stack overflow', async () => {
    const big = await refused(new Uint8Array((1 << 20) + 1).fill(32));
    expect(big.p).toMatchObject({ status: 422, code: 'limit_exceeded' });
    const deep = await refused('['.repeat(400_000) + ']'.repeat(400_000));
    expect(deep.p).toMatchObject({ status: 422, code: 'limit_exceeded' });
    expect(deep.p.detail).toContain(`at most ${MAX_JSON_DEPTH} levels`);
  });

  it('counts multipart parts before parsing the form', async () => {
    // With shared modules (isolate: false) an earlier file can leave formData non-configurable: then only the answer is checked.
    let spy: ReturnType<typeof vi.spyOn> | undefined;
    try {
      spy = vi.spyOn(Response.prototype, 'formData');
    } catch {
      spy = undefined;
    }
    try {
      const t = await makeApp({ MAX_ZIP_ENTRIES: '8' });
      const form = new FormData();
      for (let i = 0; i < 500; i++) form.append(`f${i}`, new File([new Uint8Array(1)], `f${i}.bin`));
      const p = await problem(await t.req('/v1/models', { method: 'POST', body: form }));
      expect(p).toMatchObject({ status: 422, code: 'limit_exceeded' });
      if (spy) expect(spy).not.toHaveBeenCalled();
    } finally {
      spy?.mockRestore();
    }
  });

  it('checks zip entries against the manifest before inflating any shard', async () => {
    const t = await makeApp();
    const m = mnistModel();
    // Stored uncompressed and then corrupted: inflating (reading) it would fail its CRC check, so the answer
    // naming it as unexpected shows it was refused from the directory, before any of its bytes were read.
    const stray = new Uint8Array(64 * 1024).fill(7);
    const body = bin(zipSync({ 'model.json': m.json, ...Object.fromEntries(m.files), 'payload.bin': [stray, { level: 0 }] }));
    const name = Buffer.from(body).indexOf('payload.bin'); // its local header comes first; the data follows it
    body[name + 'payload.bin'.length + 1000] = 8;
    const p = await problem(await t.req('/v1/models', { method: 'POST', body, headers: { 'content-type': 'application/zip' } }));
    expect(p).toMatchObject({ status: 422, code: 'invalid_upload' });
    expect(p.detail).toMatch(/expected only model\.json and the weight files its manifest names, got also "payload\.bin"/);
    expect(p.detail).not.toMatch(/CRC/);
  });

  it('bounds a model zip\'s inflation by the bytes sent, as for .npz', async () => {
    const t = await makeApp();
    const j = modelJson(mnistModel());
    const shard = new Uint8Array(40 * 1024 * 1024); // named by the manifest, honestly declared, but 1000:1
    const body = bin(zipSync({ 'model.json': enc(j), [j.weightsManifest[0].paths[0]]: shard }, { level: 9 }));
    expect(body.length).toBeLessThan(1024 * 1024);
    const p = await problem(await t.req('/v1/models', { method: 'POST', body, headers: { 'content-type': 'application/zip' } }));
    expect(p).toMatchObject({ status: 413, code: 'too_large' });
  });
});

describe('user-supplied names never reach Object.prototype', () => {
  const withLayer = (edit: (dense: Record<string, any>) => void) => {
    const j = modelJson();
    edit((j.modelTopology.config?.layers ?? j.modelTopology.model_config.config.layers).find((l: { class_name: string }) => l.class_name === 'Dense'));
    return enc(j);
  };
  const upload = async (json: Uint8Array) => (await makeApp()).req('/v1/models', { method: 'POST', body: multipart({ json, files: tinyModel().files }) });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('refuses the layer class %s (422 unsupported_layer)', async (name) => {
    expect(await problem(await upload(withLayer((d) => { d.class_name = name; })))).toMatchObject({ status: 422, code: 'unsupported_layer' });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('refuses the activation %s (422 unsupported_layer)', async (name) => {
    expect(await problem(await upload(withLayer((d) => { d.config.activation = name; })))).toMatchObject({ status: 422, code: 'unsupported_layer' });
  });
});
