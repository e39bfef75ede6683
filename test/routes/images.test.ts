// /v1/datasets with a zip of class folders of images: upload, describe, refuse, and audit on a real s3rver.
import { describe, expect, it } from 'vitest';
import { encode } from 'fast-png';
import { keys } from '../../src/storage/keys';
import { bin, makeApp, post, problem, useRealApp, tinyModel, uploadModel, zipOf, type TestApp } from './_app';

/** A w x h gray PNG: a gradient offset by `v`, so classes differ. */
const png = (v: number, w = 8, h = 8) => encode({ width: w, height: h, channels: 1, depth: 8, data: Uint8Array.from({ length: w * h }, (_, i) => (v + 3 * i) % 256) });
const rgbPng = (v: number) => encode({ width: 5, height: 3, channels: 3, depth: 8, data: new Uint8Array(45).fill(v) });
const zipPost = (body: Uint8Array, type = 'application/zip') => ({ method: 'POST', body: bin(body), headers: { 'content-type': type } });

/** Three classes of 8x8 (and one 5x3 RGB) images for the 4x4x1 -> 3 tiny model, with a stray text file. */
const PETS = {
  'pets/cat/1.png': png(0), 'pets/cat/2.png': png(40), 'pets/dog/1.png': png(80), 'pets/dog/2.png': rgbPng(120),
  'pets/emu/1.png': png(160), 'pets/emu/notes.txt': new TextEncoder().encode('not an image'),
};

interface Info { id: string; format: string; samples: number; classes: number; classNames: string[]; shape?: number[]; images: { sizes: unknown[]; formats: unknown; skipped: unknown } }

describe('/v1/datasets with images', () => {
  it('stores a zip of class folders with its description, answers the same id twice, and GET reads the description', async () => {
    const t = await makeApp();
    const bytes = zipOf(PETS);
    const res = await t.req('/v1/datasets', zipPost(bytes));
    expect(res.status).toBe(201);
    const info = await res.json() as Info;
    expect(info).toMatchObject({
      format: 'images', samples: 5, classes: 3, classNames: ['cat', 'dog', 'emu'], dtype: 'uint8',
      images: {
        sizes: [{ width: 8, height: 8, channels: 1, count: 4 }, { width: 5, height: 3, channels: 3, count: 1 }],
        formats: { png: 5, jpeg: 0 }, skipped: { count: 1, examples: ['pets/emu/notes.txt'] },
      },
    });
    expect(info.shape).toBeUndefined(); // two sizes
    expect(await t.store.get(keys.imageDataset(info.id))).toEqual(bytes);
    expect(await t.store.get(keys.dataset(info.id))).toBeNull();
    // The description is stored: GET answers from it even when the zip is gone.
    await t.store.delete(keys.imageDataset(info.id));
    const { created: _c, bytes: _b, ...described } = info as Info & { created: boolean; bytes: number };
    expect(await (await t.req(`/v1/datasets/${info.id}`)).json()).toEqual(described);
    const again = await t.req('/v1/datasets', zipPost(bytes, 'application/octet-stream'));
    expect(again.status).toBe(200);
    expect((await again.json() as Info).id).toBe(info.id);
  });

  it('refuses with 422 problem+json naming what is wrong, and stores nothing', async () => {
    const t = await makeApp();
    const cases: [Record<string, Uint8Array>, string, RegExp][] = [
      [{ 'a.png': png(1), 'b.png': png(2) }, 'invalid_data', /class folders .*got no folder/],
      [{ 'cat/a.png': png(1), 'dog/readme.md': new Uint8Array(3) }, 'invalid_data', /none in 'dog'/],
      [{ 'cat/a.png': png(1), 'dog/broken.png': png(2).subarray(0, 40) }, 'invalid_data', /'dog\/broken\.png'/],
      [{ 'cat/a.png': png(1), 'dog/huge.png': hugePng() }, 'limit_exceeded', /'dog\/huge\.png' declaring 100000x100000/],
    ];
    for (const [files, code, detail] of cases) {
      const p = await problem(await t.req('/v1/datasets', zipPost(zipOf(files))));
      expect(p, detail.source).toMatchObject({ status: 422, code });
      expect(p.detail).toMatch(detail);
    }
    expect((await t.store.list('datasets/')).keys).toEqual([]);
  });

  it('checks the fit when an audit is requested: more class folders than outputs is a 422 on body.data', async () => {
    const t = await makeApp();
    const model = await uploadModel(t, tinyModel());
    const four = await (await t.req('/v1/datasets', zipPost(zipOf({ ...PETS, 'pets/fox/1.png': png(9) })))).json() as Info;
    const p = await problem(await t.req('/v1/audits', post({ model, data: four.id })));
    expect(p).toMatchObject({ status: 422, field: 'body.data' });
    expect(p.detail).toMatch(/at most 3 class folders .* got 4/);
    const three = await (await t.req('/v1/datasets', zipPost(zipOf(PETS)))).json() as Info;
    expect((await t.req('/v1/audits', post({ model, data: three.id, attacks: ['fgsm'] }))).status).toBe(202);
    // With labels from the model the folders' names are not labels: any number of them is accepted.
    expect((await t.req('/v1/audits', post({ model, data: four.id, attacks: ['fgsm'], labels: 'model' }))).status).toBe(202);
  });
});

/** 57 bytes that declare 100000 x 100000 pixels. */
function hugePng(): Uint8Array {
  const small = png(0, 1, 1);
  const view = new DataView(small.buffer, small.byteOffset);
  view.setUint32(16, 100000);
  view.setUint32(20, 100000);
  // The header's CRC covers the size: recompute it so only the limit can refuse the file.
  let c = -1;
  for (const b of small.subarray(12, 29)) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  view.setUint32(29, (c ^ -1) >>> 0);
  return small;
}

describe('an audit on uploaded images, through the real runner and a real s3rver', { timeout: 120_000 }, () => {
  const real = useRealApp();

  it('uploads, describes, audits, and reports the images as the data', async () => {
    const { id: data } = await (await real.t.req('/v1/datasets', zipPost(zipOf(PETS)))).json() as Info;
    expect(await (await real.t.req(`/v1/datasets/${data}`)).json()).toMatchObject({ format: 'images', samples: 5, classNames: ['cat', 'dog', 'emu'] });
    const model = await uploadModel(real.t, tinyModel());
    const res = await real.t.req('/v1/audits', post({ model, data, attacks: ['fgsm', 'pgd'], steps: 3, bits: [2], epsilons: [0.1] }));
    expect(res.status).toBe(202);
    const { id } = await res.json() as { id: string };
    await real.driver.idle();
    const audit = await (await real.t.req(`/v1/audits/${id}`)).json() as { status: string; error?: unknown };
    expect(audit.status, JSON.stringify(audit.error)).toBe('succeeded');
    const report = await (await real.t.req(`/v1/audits/${id}/report`)).json() as { data: { total: number; evaluated?: number }; clean: unknown[] };
    expect(report.data).toMatchObject({ total: 5 });
    expect(report.clean.length).toBeGreaterThan(0);
  });
});
