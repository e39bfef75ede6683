import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { keys } from '../../src/storage/keys';
import { makeApp, post, problem, uploadModel } from './_app';

function npz(n: number, size = 28, classes = 10): Uint8Array {
  const x = Uint8Array.from({ length: n * size * size }, (_, i) => i % 251);
  const y = Int32Array.from({ length: n }, (_, i) => i % classes);
  return datasetToNpz({ name: 't', x, y, shape: [n, size, size, 1] });
}
const octet = (body: Uint8Array, type = 'application/octet-stream') => ({ method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': type } });

describe('/v1/datasets', () => {
  it('stores an .npz under its sha256, the same id twice, and describes it', async () => {
    const t = await makeApp();
    const bytes = npz(20);
    const res = await t.req('/v1/datasets', octet(bytes));
    expect(res.status).toBe(201);
    const body = await res.json() as { id: string; samples: number; shape: number[]; classes: number; dtype: string };
    expect(body).toMatchObject({ id: createHash('sha256').update(bytes).digest('hex'), samples: 20, shape: [28, 28, 1], classes: 10, dtype: 'uint8' });
    expect(await t.store.get(keys.dataset(body.id))).toEqual(bytes);
    const again = await t.req('/v1/datasets', octet(bytes, 'application/x-npz'));
    expect(again.status).toBe(200);
    expect((await again.json() as { id: string }).id).toBe(body.id);
    expect(await (await t.req(`/v1/datasets/${body.id}`)).json()).toMatchObject({ samples: 20, classes: 10 });
  });

  it('refuses an .npz that would inflate to more than 16 times the bytes sent (422), and stores nothing', async () => {
    const t = await makeApp();
    // 2000 blank 28x28 images: 1.5 MiB of zeros, deflated to a few KiB.
    const blank = datasetToNpz({ name: 'blank', x: new Uint8Array(2000 * 784), y: new Int32Array(2000), shape: [2000, 28, 28, 1] }, { compress: true });
    expect(16 * blank.length + 1024 * 1024).toBeLessThan(2000 * 784);
    const p = await problem(await t.req('/v1/datasets', octet(blank)));
    expect(p).toMatchObject({ status: 422, code: 'limit_exceeded' });
    expect((await t.store.list('datasets/')).keys).toEqual([]);
    // The same images uncompressed are accepted: the bound follows what was sent.
    expect((await t.req('/v1/datasets', octet(datasetToNpz({ name: 'blank', x: new Uint8Array(2000 * 784), y: new Int32Array(2000), shape: [2000, 28, 28, 1] })))).status).toBe(201);
  });

  it('runs an audit on an uploaded data set that fits the model', async () => {
    const t = await makeApp();
    const { id: data } = await (await t.req('/v1/datasets', octet(npz(8)))).json() as { id: string };
    const model = await uploadModel(t);
    const res = await t.req('/v1/audits', post({ model, data, attacks: ['fgsm'] }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ request: { data } });
    const wrong = (await (await t.req('/v1/datasets', octet(npz(4, 8)))).json() as { id: string }).id;
    expect(await problem(await t.req('/v1/audits', post({ model, data: wrong })))).toMatchObject({ status: 422, field: 'body.data' });
  });

  it('answers 422 for bytes that are not an evaluation set, 415 and 413 at the door, 404 for unknown ids', async () => {
    const t = await makeApp({ MAX_UPLOAD_BYTES: '4096' });
    expect(await problem(await t.req('/v1/datasets', octet(new Uint8Array(100))))).toMatchObject({ status: 422, code: 'invalid_data' });
    expect(await problem(await t.req('/v1/datasets', octet(new Uint8Array(10), 'text/csv')))).toMatchObject({ status: 415 });
    expect(await problem(await t.req('/v1/datasets', octet(new Uint8Array(5000))))).toMatchObject({ status: 413 });
    expect(await problem(await t.req(`/v1/datasets/${'e'.repeat(64)}`))).toMatchObject({ status: 404 });
  });

  it('describes built-in mnist', async () => {
    const t = await makeApp();
    expect(await (await t.req('/v1/datasets/mnist')).json()).toMatchObject({ id: 'mnist', samples: 2004, shape: [28, 28, 1], classes: 10 });
  });
});
