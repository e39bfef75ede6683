// docs/api.md's limit table against the code: each row's documented status is what the service answers when the
// limit is exceeded, and each documented default is the configured one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/config';
import { makeApp, mnistModel, multipart, post, uploadModel } from './_app';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## Limits'), doc.indexOf('## ', doc.indexOf('## Limits') + 5));
/** name -> [default, first status in the answer column] */
const table = new Map(section.split('\n').filter((l) => l.startsWith('| `') || l.startsWith('| list')).map((l) => {
  const [name, def, answer] = l.split('|').slice(1, 4).map((c) => c.trim());
  return [name!.replace(/`/g, ''), [def!, Number(/\b(4\d\d)\b/.exec(answer!)?.[1])] as const];
}));
const documented = (name: string) => {
  const row = table.get(name);
  if (!row) throw new Error(`docs/api.md's limit table has no row ${name}`);
  return row[1];
};

describe("docs/api.md's limit table", () => {
  it('documents the configured defaults', () => {
    const c = configFromEnv({});
    const MiB = 1024 * 1024;
    expect(table.get('MAX_UPLOAD_BYTES')![0]).toBe(`${c.limits.uploadBytes / MiB} MiB`);
    expect(table.get('MAX_JSON_BYTES')![0]).toBe(`${c.limits.jsonBytes / 1024} KiB`);
    expect(Number(table.get('MAX_ZIP_ENTRIES')![0])).toBe(c.limits.zipEntries);
    expect(Number(table.get('MAX_SAMPLES')![0])).toBe(c.limits.samples);
    expect(Number(table.get('MAX_WORK')![0])).toBe(c.limits.work);
    expect(Number(table.get('MAX_TRAIN_BATCHES')![0])).toBe(c.limits.trainBatches);
  });

  it('answers each exceeded limit with the documented status', async () => {
    const status = async (env: Record<string, string>, f: (t: Awaited<ReturnType<typeof makeApp>>) => Promise<Response>) => f(await makeApp(env)).then((r) => r.status);
    const model = mnistModel();
    expect(await status({ MAX_UPLOAD_BYTES: '2048' }, (t) => t.req('/v1/models', { method: 'POST', body: multipart(model) }))).toBe(documented('MAX_UPLOAD_BYTES'));
    expect(await status({ MAX_JSON_BYTES: '1024' }, (t) => t.req('/v1/audits', post({ model: 'a'.repeat(64), attacks: Array(200).fill('fgsm') })))).toBe(documented('MAX_JSON_BYTES'));
    const split = mnistModel(1);
    const three = { json: split.json, files: new Map([...split.files, ['extra1.bin', new Uint8Array(4)], ['extra2.bin', new Uint8Array(4)]]) };
    expect(await status({ MAX_ZIP_ENTRIES: '2' }, (t) => t.req('/v1/models', { method: 'POST', body: multipart(three) }))).toBe(documented('MAX_ZIP_ENTRIES'));
    expect(await status({ MAX_SAMPLES: '50' }, async (t) => t.req('/v1/audits', post({ model: await uploadModel(t), limit: 60 })))).toBe(documented('MAX_SAMPLES'));
    expect(await status({}, async (t) => t.req('/v1/audits', post({ model: await uploadModel(t), limit: 10001 })))).toBe(400);
    expect(await status({}, (t) => t.req('/v1/audits?limit=101', { addr: '127.0.0.1' }))).toBe(documented('list limit'));
    expect(await status({ MAX_WORK: '10' }, async (t) => t.req('/v1/audits', post({ model: await uploadModel(t) })))).toBe(documented('MAX_WORK'));
    expect(await status({ MAX_TRAIN_BATCHES: '10' }, async (t) => t.req('/v1/retrain-jobs', post({ model: await uploadModel(t), method: 'qat', bits: 4, epochs: 1 })))).toBe(documented('MAX_TRAIN_BATCHES'));
    expect(await status({}, async (t) => t.req('/v1/retrain-jobs', post({ model: await uploadModel(t), method: 'qat', bits: 4, settings: { batchesPerStep: 65 } })))).toBe(documented('settings.batchesPerStep'));
  });
});
