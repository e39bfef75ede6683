import { describe, expect, it } from 'vitest';
import { encode } from 'fast-png';
import { zipSync, type Zippable } from 'fflate';
import { EngineError } from '../../../src/engine/errors';
import { checkImageFit, describeImageFolder, imageFolderToDataset, readImageFolder } from '../../../src/engine/data/image-folder';
import { dataFormat, dataSourceFromBytes, fitSource, isImageFolder, sourceSize } from '../../../src/engine/data/source';
import { writeNpz } from '../../../src/engine/data/npz';
import { IMAGE_FIXTURES } from './image-fixtures';

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const fixture = (name: string) => b64(IMAGE_FIXTURES.find((f) => f.name === name)!.file);
/** A w x h gray PNG filled with `v`. */
const grayPng = (v: number, w = 2, h = 2) => encode({ width: w, height: h, channels: 1, depth: 8, data: new Uint8Array(w * h).fill(v) });
const zip = (files: Record<string, Uint8Array | null>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v ?? new Uint8Array(0)])) as Zippable, { level: 0 });

function refuses(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  expect(caught).toBeInstanceOf(EngineError);
  expect((caught as EngineError).code).toBe(code);
  expect((caught as EngineError).message).toMatch(message);
}

describe('class folders in a zip', () => {
  const files = {
    'dog/b.png': grayPng(20), 'dog/a.png': grayPng(10), 'cat/x.jpg': fixture('jpeg-gray'),
    'cat/sub/y.PNG': grayPng(30), 'cat/readme.txt': new TextEncoder().encode('hi'), 'notes.md': new Uint8Array(3),
    'bird/only.png': grayPng(40), '__MACOSX/cat/._x.jpg': new Uint8Array(5), 'cat/.DS_Store': new Uint8Array(5),
  };

  it('sorts classes by name, labels by index, and orders samples round-robin over classes', () => {
    const f = readImageFolder(zip(files), 'pets');
    expect(f.classNames).toEqual(['bird', 'cat', 'dog']);
    expect(f.samples.map((s) => [s.path, s.label])).toEqual([
      ['bird/only.png', 0], ['cat/sub/y.PNG', 1], ['dog/a.png', 2], ['cat/x.jpg', 1], ['dog/b.png', 2],
    ]);
    // Non-image files and files outside class folders are skipped and counted; OS junk is ignored.
    expect(f.skipped).toEqual(['cat/readme.txt', 'notes.md']);
  });

  it('takes a single top folder holding only folders as the root (a zip of the folder itself)', () => {
    const f = readImageFolder(zip({ 'data/cat/a.png': grayPng(1), 'data/dog/b.png': grayPng(2), 'data/': null, 'data/README': new Uint8Array(1) }), 'd');
    expect(f.classNames).toEqual(['cat', 'dog']);
    expect(f.skipped).toEqual(['data/README']);
    expect(readImageFolder(zip({ 'cat/a.png': grayPng(1), 'cat/b.png': grayPng(2) }), 'd').classNames).toEqual(['cat']);
  });

  it('describes sizes, formats and skipped files, checking every image', () => {
    const info = describeImageFolder(readImageFolder(zip(files), 'pets'));
    expect(info).toEqual({
      samples: 5, classNames: ['bird', 'cat', 'dog'],
      sizes: [{ width: 2, height: 2, channels: 1, count: 4 }, { width: 6, height: 5, channels: 1, count: 1 }],
      formats: { png: 4, jpeg: 1 }, skipped: { count: 2, examples: ['cat/readme.txt', 'notes.md'] },
    });
  });

  it('decodes and resizes to the model input as uint8 NHWC, only the first `limit` samples', () => {
    const f = readImageFolder(zip(files), 'pets');
    const ds = imageFolderToDataset(f, [1, 1, 3], 3, 3);
    expect(ds.shape).toEqual([3, 1, 1, 3]);
    expect(ds.x).toBeInstanceOf(Uint8Array);
    expect([...ds.x]).toEqual([40, 40, 40, 30, 30, 30, 10, 10, 10]);
    expect([...ds.y]).toEqual([0, 1, 2]);
    expect(imageFolderToDataset(f, [4, 4, 1], 10).shape).toEqual([5, 4, 4, 1]);
  });

  it('refuses what cannot be a data set, saying what is wrong', () => {
    refuses(() => readImageFolder(zip({ 'a.png': grayPng(1), 'b.txt': new Uint8Array(1) }), 'd'), 'invalid_data', /class folders.*got no folder \(2 top-level or non-image files: 'a\.png', 'b\.txt'\)/);
    refuses(() => readImageFolder(zip({ 'cat/a.png': grayPng(1), 'dog/': null }), 'd'), 'invalid_data', /none in 'dog'/);
    refuses(() => readImageFolder(zip({ 'cat/a.png': grayPng(1), 'dog/a.gif': new Uint8Array(4) }), 'd'), 'invalid_data', /none in 'dog' \(only 'dog\/a\.gif'\)/);
    refuses(() => readImageFolder(zip({ 'cat/../../a.png': grayPng(1) }), 'd'), 'invalid_data', /path traversal/);
    const bad = readImageFolder(zip({ 'cat/a.png': grayPng(1), 'dog/broken.png': grayPng(2).subarray(0, 30) }), 'd');
    refuses(() => describeImageFolder(bad), 'invalid_data', /'dog\/broken\.png'/);
  });

  it('enforces its limits before decoding', () => {
    const three = zip({ 'a/1.png': grayPng(1), 'a/2.png': grayPng(2), 'b/3.png': grayPng(3, 40, 40) });
    refuses(() => readImageFolder(three, 'd', { maxImages: 2 }), 'limit_exceeded', /at most 2 images, got 3/);
    refuses(() => readImageFolder(three, 'd', { maxEntries: 2 }), 'limit_exceeded', /at most 2 files in the zip, got 3/);
    refuses(() => readImageFolder(three, 'd', { maxFileBytes: 60 }), 'limit_exceeded', /at most 60 bytes, got '.*' declaring/);
    refuses(() => describeImageFolder(readImageFolder(three, 'd'), { maxPixels: 100 }), 'limit_exceeded', /'b\/3\.png' declaring 40x40/);
    refuses(() => describeImageFolder(readImageFolder(three, 'd'), { maxDecodedBytes: 1000 }), 'limit_exceeded', /1000 bytes of decoded pixels.*'b\/3\.png'/);
  });

  it('refuses more class folders than the model has outputs, and 2-channel inputs', () => {
    refuses(() => checkImageFit(['a', 'b', 'c'], [2, 2, 1], 2), 'invalid_data', /at most 2 class folders .* got 3 \(a, b, c\)/);
    refuses(() => checkImageFit(['a'], [2, 2, 2], 2), 'invalid_data', /1, 3 or 4 channels/);
  });
});

describe('data sources told apart by content', () => {
  const npz = writeNpz({ x: { dtype: 'uint8', shape: [1, 2, 2, 1], data: new Uint8Array(4) }, y: { dtype: 'int32', shape: [1], data: Int32Array.of(0) } });
  const images = zip({ 'cat/a.png': grayPng(7), 'dog/b.png': grayPng(9) });

  it('an .npz holds .npy entries; a zip of folders holds images; anything else goes to the .npz reader', () => {
    expect(dataFormat(npz)).toBe('npz');
    expect(dataFormat(images)).toBe('images');
    expect(dataFormat(new Uint8Array(10))).toBe('npz');
    const a = dataSourceFromBytes(npz, 'a'), b = dataSourceFromBytes(images, 'b');
    expect([isImageFolder(a), sourceSize(a), isImageFolder(b), sourceSize(b)]).toEqual([false, 1, true, 2]);
    expect([...fitSource(b, [1, 1, 1], 2).x]).toEqual([7, 9]);
    expect(fitSource(a, [2, 2, 1], 2).shape).toEqual([1, 2, 2, 1]);
  });
});
