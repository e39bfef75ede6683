// A zip of class folders of PNG/JPEG images (torchvision ImageFolder, Keras image_dataset_from_directory):
// its layout from the zip directory, its description (every image checked), and its pixels fitted to a model.
import { EngineError, expect } from '../errors';
import { decodeImage, IMAGE_MAX_PIXELS, probeImage, type ImageFormat } from './image';
import { resizeInto } from './resize';
import type { Dataset } from './types';
import { readEntry, readZipDirectory, type ZipEntry } from './zip';

export interface ImageFolderLimits {
  /** Images (PNG/JPEG files in class folders) in one data set. */
  maxImages: number;
  /** Zip entries of any kind (folders and skipped files too), refused before any is read. */
  maxEntries: number;
  /** One image file's bytes, as declared by the zip directory. */
  maxFileBytes: number;
  /** Width x height of one image, from its header, before its pixels are decoded. */
  maxPixels: number;
  /** Decoded samples over all images (width x height x channels x bytes per sample), from the headers. */
  maxDecodedBytes: number;
}
export const IMAGE_FOLDER_LIMITS: Readonly<ImageFolderLimits> = {
  maxImages: 10_000, maxEntries: 20_000, maxFileBytes: 16 * 1024 * 1024,
  maxPixels: IMAGE_MAX_PIXELS, maxDecodedBytes: 512 * 1024 * 1024,
};

export interface ImageSample { path: string; label: number; entry: ZipEntry }

export interface ImageFolder {
  kind: 'images';
  name: string;
  /** Class folder names in code-point order; label = index (ImageFolder's class_to_idx). */
  classNames: string[];
  /** Round-robin over the classes (class 0's first file, class 1's first, ...), files by path within a class. */
  samples: ImageSample[];
  /** Files that are not .png/.jpg/.jpeg in a class folder, or outside any class folder. */
  skipped: string[];
  zip: Uint8Array;
}

export interface ImageFolderInfo {
  samples: number;
  classNames: string[];
  /** Distinct image sizes with their counts, most frequent first (at most 20). */
  sizes: { width: number; height: number; channels: number; count: number }[];
  formats: Record<ImageFormat, number>;
  skipped: { count: number; examples: string[] };
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;
/** macOS and Windows leave these in zips; they are not data. */
const JUNK = (seg: string) => seg.startsWith('.') || seg === '__MACOSX' || /^(thumbs\.db|desktop\.ini)$/i.test(seg);
const byCodePoint = (a: string, b: string) => {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
  return x.length - y.length;
};

/** Splits a zip path, refusing absolute paths and `..`; backslashes (some Windows tools) count as separators. */
function segments(name: string): string[] {
  const segs = name.replace(/\\/g, '/').split('/');
  expect(!name.startsWith('/') && !segs.includes('..') && !/^[A-Za-z]:/.test(name), 'invalid_data',
    `expected relative paths in the zip, got ${JSON.stringify(name.slice(0, 80))} (path traversal refused)`);
  return segs.filter((s) => s !== '' && s !== '.');
}

/** Reads the zip directory only: class folders, image files, skipped files; nothing is inflated. */
export function readImageFolder(zip: Uint8Array, name: string, limits: Partial<ImageFolderLimits> = {}): ImageFolder {
  const lim = { ...IMAGE_FOLDER_LIMITS, ...limits };
  const entries = readZipDirectory(zip, lim.maxEntries, 'files in the zip');
  const files: { segs: string[]; entry: ZipEntry }[] = [];
  const dirs: string[][] = [];
  for (const e of entries) {
    const segs = segments(e.name);
    if (!segs.length || segs.some(JUNK)) continue;
    if (e.name.endsWith('/') || e.name.endsWith('\\')) dirs.push(segs); else files.push({ segs, entry: e });
  }
  // A zip of the folder itself: when every image lies two folders deep or more under one top folder, that folder
  // is the root (its own loose files, a README say, are then skipped like any file outside a class folder).
  const images = files.filter((f) => IMAGE_EXT.test(f.entry.name));
  const tops = new Set([...files, ...dirs.map((segs) => ({ segs }))].map((f) => f.segs[0]));
  if (tops.size === 1 && images.length && images.every((f) => f.segs.length >= 3)) {
    for (const f of files) f.segs.shift();
    for (const d of dirs) d.shift();
  }
  const classes = new Map<string, ImageSample[]>();
  for (const d of dirs) if (d.length) classes.set(d[0]!, []);
  const skipped: string[] = [];
  for (const f of files) {
    // Any folder is a class, as in ImageFolder: one holding no image is refused below, not ignored.
    if (f.segs.length >= 2 && !classes.has(f.segs[0]!)) classes.set(f.segs[0]!, []);
    if (f.segs.length < 2 || !IMAGE_EXT.test(f.entry.name)) { skipped.push(f.entry.name); continue; }
    classes.get(f.segs[0]!)!.push({ path: f.entry.name, label: -1, entry: f.entry });
  }
  expect(classes.size > 0, 'invalid_data',
    `expected a zip of class folders of PNG/JPEG images (e.g. cat/1.png, dog/2.jpg), got no folder${skipped.length ? ` (${skipped.length} top-level or non-image files: ${examples(skipped)})` : ''}`);
  const classNames = [...classes.keys()].sort(byCodePoint);
  for (const c of classNames) {
    const list = classes.get(c)!;
    const other = skipped.filter((p) => segments(p)[0] === c || segments(p)[1] === c);
    expect(list.length > 0, 'invalid_data',
      `expected PNG or JPEG images (.png, .jpg, .jpeg) in every class folder, got none in '${c}'${other.length ? ` (only ${examples(other)})` : ''}`);
    list.sort((a, b) => byCodePoint(a.path, b.path));
  }
  const count = [...classes.values()].reduce((n, l) => n + l.length, 0);
  expect(count <= lim.maxImages, 'limit_exceeded', `expected at most ${lim.maxImages} images, got ${count}`);
  const samples: ImageSample[] = [];
  for (let r = 0; samples.length < count; r++) {
    classNames.forEach((c, label) => { const s = classes.get(c)![r]; if (s) samples.push({ ...s, label }); });
  }
  for (const s of samples) {
    expect(s.entry.size <= lim.maxFileBytes, 'limit_exceeded', `expected image files of at most ${lim.maxFileBytes} bytes, got '${s.path}' declaring ${s.entry.size}`);
  }
  return { kind: 'images', name, classNames, samples, skipped: skipped.sort(byCodePoint), zip };
}

const examples = (names: string[]) => names.slice(0, 5).map((n) => `'${n}'`).join(', ') + (names.length > 5 ? ', ...' : '');

/** Every header first (sizes and limits), then every image decoded once: a corrupt file is refused by name. */
export function describeImageFolder(folder: ImageFolder, limits: Partial<ImageFolderLimits> = {}): ImageFolderInfo {
  const lim = { ...IMAGE_FOLDER_LIMITS, ...limits };
  const sizes = new Map<string, ImageFolderInfo['sizes'][number]>();
  const formats: Record<ImageFormat, number> = { png: 0, jpeg: 0 };
  let decoded = 0;
  for (const s of folder.samples) {
    const h = probeImage(readEntry(folder.zip, s.entry), s.path, lim);
    decoded += h.width * h.height * h.channels * (h.depth > 8 ? 2 : 1);
    expect(decoded <= lim.maxDecodedBytes, 'limit_exceeded', `expected at most ${lim.maxDecodedBytes} bytes of decoded pixels over all images, got more by '${s.path}'`);
    formats[h.format]++;
    const key = `${h.width}x${h.height}x${h.channels}`;
    const size = sizes.get(key) ?? { width: h.width, height: h.height, channels: h.channels, count: 0 };
    size.count++;
    sizes.set(key, size);
  }
  for (const s of folder.samples) decodeImage(readEntry(folder.zip, s.entry), s.path, lim);
  return {
    samples: folder.samples.length, classNames: folder.classNames,
    sizes: [...sizes.values()].sort((a, b) => b.count - a.count).slice(0, 20), formats,
    skipped: { count: folder.skipped.length, examples: folder.skipped.slice(0, 10) },
  };
}

/** Refuses, without decoding, a folder that cannot feed the model: more classes than outputs, or an input that is not 1, 3 or 4 channels. */
export function checkImageFit(classNames: readonly string[], inputShape: readonly [number, number, number], numClasses: number): void {
  expect(classNames.length <= numClasses, 'invalid_data',
    `expected at most ${numClasses} class folders for this model's ${numClasses} outputs, got ${classNames.length} (${classNames.slice(0, 5).join(', ')}${classNames.length > 5 ? ', ...' : ''})`);
  const c = inputShape[2];
  expect(c === 1 || c === 3 || c === 4, 'invalid_data', `expected a model input of 1, 3 or 4 channels for image data, got ${c}`);
}

/** The first `limit` samples (all by default) decoded and resized to the model's [H, W, C], as uint8 NHWC. */
export function imageFolderToDataset(folder: ImageFolder, inputShape: readonly [number, number, number], numClasses: number, limit = Infinity, limits: Partial<ImageFolderLimits> = {}): Dataset {
  checkImageFit(folder.classNames, inputShape, numClasses);
  const [H, W, C] = inputShape;
  const n = Math.min(limit, folder.samples.length), per = H * W * C;
  const x = new Uint8Array(n * per), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = folder.samples[i]!;
    const img = decodeImage(readEntry(folder.zip, s.entry), s.path, { ...IMAGE_FOLDER_LIMITS, ...limits });
    resizeInto(img, H, W, C, x.subarray(i * per, (i + 1) * per));
    y[i] = s.label;
  }
  if (n === 0) throw new EngineError('invalid_data', 'expected at least one image, got none');
  return { name: folder.name, x, y, shape: [n, H, W, C] };
}
