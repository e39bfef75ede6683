import { describe, expect, it } from 'vitest';
import { zlibSync } from 'fflate';
import { EngineError } from '../../../src/engine/errors';
import { decodeImage, probeImage, type DecodedImage } from '../../../src/engine/data/image';
import { axis, resizeInto } from '../../../src/engine/data/resize';
import { crc32 } from '../../../src/engine/data/zip';
import { IMAGE_FIXTURES, RESIZE_SOURCE, RESIZED } from './image-fixtures';

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const fixture = (name: string) => b64(IMAGE_FIXTURES.find((f) => f.name === name)!.file);

function refuses(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  expect(caught).toBeInstanceOf(EngineError);
  expect((caught as EngineError).code).toBe(code);
  expect((caught as EngineError).message).toMatch(message);
}

/** Largest |a - b| over two sample arrays of equal length. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * PNG is lossless: every sample equals PIL's. JPEG decoders differ in IDCT rounding (within 2 levels
 * here) and in chroma upsampling: jpeg-js repeats 4:2:0 chroma where libjpeg interpolates it.
 */
const TOLERANCE: Record<string, number> = { 'jpeg-gray': 1, 'jpeg-rgb444': 2, 'jpeg-progressive': 2, 'jpeg-rgb420': 12 };

describe('decoding against PIL (libpng, libjpeg-turbo)', () => {
  for (const f of IMAGE_FIXTURES) {
    it(`${f.name}: ${f.channels} channel(s), ${f.depth}-bit ${f.format}${f.note ? ` (${f.note})` : ''}`, () => {
      const img = decodeImage(b64(f.file), f.name);
      expect([img.format, img.width, img.height, img.channels, img.depth]).toEqual([f.format, f.width, f.height, f.channels, f.depth]);
      const raw = b64(f.expected);
      const want = f.dtype === 'uint16' ? new Uint16Array(raw.buffer) : raw;
      expect(img.data).toBeInstanceOf(f.dtype === 'uint16' ? Uint16Array : Uint8Array);
      expect(img.maxValue).toBe(2 ** f.depth - 1);
      expect(maxDiff(img.data, want)).toBeLessThanOrEqual(TOLERANCE[f.name] ?? 0);
    });
  }
});

const img = (w: number, h: number, channels: 1 | 2 | 3 | 4, data: number[] | Uint8Array, depth: 8 | 16 = 8): DecodedImage => ({
  format: 'png', width: w, height: h, channels, depth,
  data: depth === 16 ? Uint16Array.from(data) : Uint8Array.from(data), maxValue: 2 ** depth - 1,
});
const resized = (src: DecodedImage, H: number, W: number, C: number) => {
  const out = new Uint8Array(H * W * C);
  resizeInto(src, H, W, C, out);
  return [...out];
};

describe('bilinear resizing with half-pixel centers', () => {
  it('upsamples 2x2 to 4x4 as computed by hand', () => {
    // Sampling points (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1].
    expect(axis(2, 4)).toEqual({ lo: Int32Array.of(0, 0, 0, 1), hi: Int32Array.of(1, 1, 1, 1), t: Float64Array.of(0, 0.25, 0.75, 0) });
    // Rows along x: [0, 25, 75, 100] and [200, 213.75, 241.25, 255]; then along y with weights 0, .25, .75, 1.
    expect(resized(img(2, 2, 1, [0, 100, 200, 255]), 4, 4, 1)).toEqual([
      0, 25, 75, 100,
      50, 72, 117, 139, // 72.1875, 116.5625, 138.75
      150, 167, 200, 216, // 166.5625, 199.6875, 216.25
      200, 214, 241, 255, // 213.75, 241.25
    ]);
  });

  it('halves 4x4 to 2x2 as the mean of each 2x2 block (samples at 0.5 and 2.5)', () => {
    const src = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150];
    expect(resized(img(4, 4, 1, src), 2, 2, 1)).toEqual([25, 45, 105, 125]);
  });

  it('matches torch.nn.functional.interpolate(align_corners=False) down, up and at the same size', () => {
    const src = img(7, 5, 3, b64(RESIZE_SOURCE));
    for (const r of RESIZED) expect(resized(src, r.height, r.width, 3), `${r.height}x${r.width}`).toEqual([...b64(r.pixels)]);
    expect(resized(src, 5, 7, 3)).toEqual([...b64(RESIZE_SOURCE)]);
  });

  it('converts channels: BT.601 luma, gray replicated, alpha dropped or made opaque, 16-bit scaled', () => {
    // 0.299 R + 0.587 G + 0.114 B: 76.245, 149.685, 29.07, 18.15.
    expect(resized(img(4, 1, 3, [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), 1, 4, 1)).toEqual([76, 150, 29, 18]);
    expect(resized(img(2, 1, 1, [7, 200]), 1, 2, 3)).toEqual([7, 7, 7, 200, 200, 200]);
    expect(resized(img(1, 1, 4, [1, 2, 3, 4]), 1, 1, 3)).toEqual([1, 2, 3]);
    expect(resized(img(1, 1, 2, [9, 4]), 1, 1, 1)).toEqual([9]);
    expect(resized(img(1, 1, 3, [1, 2, 3]), 1, 1, 4)).toEqual([1, 2, 3, 255]);
    expect(resized(img(1, 1, 2, [9, 4]), 1, 1, 4)).toEqual([9, 9, 9, 4]);
    // 16-bit: v * 255 / 65535, rounded half up (257 * k maps exactly to k).
    expect(resized(img(4, 1, 1, [0, 257 * 3, 128, 65535], 16), 1, 4, 1)).toEqual([0, 3, 0, 255]);
  });

  it('refuses a model input of 2 channels', () => {
    refuses(() => resized(img(1, 1, 1, [0]), 1, 1, 2), 'invalid_data', /1, 3 or 4 channels/);
  });
});

/** A PNG made of chunks we choose, CRCs computed (or not). */
function png(chunks: [string, Uint8Array][], badCrc = false): Uint8Array {
  const parts: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  for (const [type, data] of chunks) {
    const td = Uint8Array.from([...type].map((c) => c.charCodeAt(0)).concat([...data]));
    const crc = crc32(td) ^ (badCrc ? 1 : 0);
    parts.push(...u32(data.length), ...td, ...u32(crc >>> 0));
  }
  return Uint8Array.from(parts);
}
const u32 = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const ihdr = (w: number, h: number, depth = 8, color = 0) => Uint8Array.from([...u32(w), ...u32(h), depth, color, 0, 0, 0]);
const none = new Uint8Array(0);

describe('hostile and broken files', () => {
  it('refuses a tiny PNG declaring 100000x100000 pixels from its header, before decoding', () => {
    const bomb = png([['IHDR', ihdr(100000, 100000)], ['IDAT', zlibSync(new Uint8Array(1000))], ['IEND', none]]);
    expect(bomb.length).toBeLessThan(200);
    refuses(() => probeImage(bomb, 'cat/huge.png'), 'limit_exceeded', /'cat\/huge\.png' declaring 100000x100000/);
    refuses(() => decodeImage(bomb, 'cat/huge.png'), 'limit_exceeded', /at most 4194304 pixels/);
  });

  it('refuses a JPEG declaring 65535x65535 pixels from its frame header', () => {
    const jpg = fixture('jpeg-gray').slice();
    const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
    jpg.set([255, 255, 255, 255], sof + 5);
    refuses(() => decodeImage(jpg, 'dog/big.jpg'), 'limit_exceeded', /'dog\/big\.jpg' declaring 65535x65535/);
  });

  it('stops inflating pixel data past the rows the header declares (deflate bomb)', () => {
    const bomb = png([['IHDR', ihdr(4, 4)], ['IDAT', zlibSync(new Uint8Array(1 << 20))], ['IEND', none]]);
    refuses(() => decodeImage(bomb, 'a/bomb.png'), 'invalid_data', /'a\/bomb\.png' to inflate to 20 bytes, got more/);
  });

  it('refuses short pixel data, bad CRCs, truncation and missing chunks, naming the file', () => {
    const short = png([['IHDR', ihdr(4, 4)], ['IDAT', zlibSync(new Uint8Array(10))], ['IEND', none]]);
    refuses(() => decodeImage(short, 'a/short.png'), 'invalid_data', /'a\/short\.png' to inflate to 20 bytes, got 10/);
    const good = png([['IHDR', ihdr(1, 1)], ['IDAT', zlibSync(new Uint8Array(2))], ['IEND', none]]);
    expect([...decodeImage(good, 'ok.png').data]).toEqual([0]);
    refuses(() => decodeImage(png([['IHDR', ihdr(1, 1)], ['IDAT', zlibSync(new Uint8Array(2))], ['IEND', none]], true), 'a/crc.png'), 'invalid_data', /'a\/crc\.png'.*CRC mismatch/);
    refuses(() => decodeImage(good.subarray(0, good.length - 12), 'a/cut.png'), 'invalid_data', /'a\/cut\.png'.*truncated at byte/);
    refuses(() => decodeImage(good.subarray(0, good.length - 14), 'a/cut.png'), 'invalid_data', /'a\/cut\.png'.*"IDAT" running past the end/);
    refuses(() => decodeImage(png([['IHDR', ihdr(1, 1)], ['IEND', none]]), 'a/empty.png'), 'invalid_data', /no IDAT/);
    refuses(() => decodeImage(png([['IHDR', ihdr(1, 1, 3, 2)], ['IEND', none]]), 'a/depth.png'), 'invalid_data', /bit depth 3/);
    refuses(() => decodeImage(png([['IHDR', ihdr(1, 1, 8, 3)], ['IDAT', zlibSync(new Uint8Array(2))], ['IEND', none]]), 'a/pal.png'), 'invalid_data', /PLTE/);
  });

  it('refuses a corrupt or truncated JPEG by name, and bytes that are no image', () => {
    const jpg = fixture('jpeg-rgb444');
    refuses(() => decodeImage(jpg.subarray(0, 40), 'cat/cut.jpg'), 'invalid_data', /'cat\/cut\.jpg'/);
    const sos = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xda);
    const garbled = jpg.slice();
    garbled.fill(0xff, sos + 4, sos + 20);
    refuses(() => decodeImage(garbled, 'cat/garbled.jpg'), 'invalid_data', /'cat\/garbled\.jpg'/);
    refuses(() => decodeImage(new TextEncoder().encode('hello'), 'cat/notes.png'), 'invalid_data', /PNG or JPEG image in 'cat\/notes\.png'/);
  });

  it('refuses interlaced PNGs below 8 bits rather than misreading them', () => {
    const adam7 = Uint8Array.from([...u32(1), ...u32(1), 1, 0, 0, 0, 1]);
    refuses(() => decodeImage(png([['IHDR', adam7], ['IDAT', zlibSync(new Uint8Array(2))], ['IEND', none]]), 'a/i.png'), 'invalid_data', /non-interlaced/);
  });
});
