// PNG: our own chunk walk (header, CRCs, a bounded inflate that must give exactly the declared rows), then
// fast-png decodes a copy holding only the critical chunks, so no ancillary chunk (iCCP, zTXt) is ever inflated.
import { decode as fastPngDecode, convertIndexedToRgb, type DecodedPng } from 'fast-png';
import { Unzlib } from 'fflate';
import { EngineError, expect } from '../errors';
import type { DecodedImage, ImageHeader } from './types';
import { crc32 } from './zip';

interface PngInfo extends ImageHeader {
  colorType: number;
  interlaced: boolean;
  /** Offsets [start, end) of the chunks fast-png needs (IHDR, PLTE, tRNS, IDAT), each with its length, type and CRC. */
  keep: [number, number][];
  idat: [number, number][];
}

/** Allowed bit depths per color type (PNG spec, table 11.1) and the channels each decodes to. */
const COLOR_TYPES: Record<number, { depths: number[]; channels: 1 | 2 | 3 | 4; what: string }> = {
  0: { depths: [1, 2, 4, 8, 16], channels: 1, what: 'grayscale' },
  2: { depths: [8, 16], channels: 3, what: 'RGB' },
  3: { depths: [1, 2, 4, 8], channels: 3, what: 'palette' },
  4: { depths: [8, 16], channels: 2, what: 'grayscale+alpha' },
  6: { depths: [8, 16], channels: 4, what: 'RGBA' },
};
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
const INFLATE_CHUNK = 4096;

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const chunkType = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

/** Walks every chunk up to IEND, checking lengths and CRCs; reads IHDR. */
function walk(bytes: Uint8Array, name: string): PngInfo {
  const bad = (what: string) => new EngineError('invalid_data', `expected a valid PNG in '${name}', got ${what}`);
  let at = 8, info: PngInfo | undefined, paletteSize = 0;
  for (;;) {
    if (at + 12 > bytes.length) throw bad(`a file truncated at byte ${at} (no IEND chunk)`);
    const len = u32(bytes, at), type = chunkType(bytes, at + 4), end = at + 12 + len;
    if (len > 0x7fffffff || end > bytes.length) throw bad(`chunk ${JSON.stringify(type)} running past the end of the file`);
    if (crc32(bytes.subarray(at + 4, at + 8 + len)) !== u32(bytes, at + 8 + len)) throw bad(`a CRC mismatch in chunk ${JSON.stringify(type)} (corrupt file)`);
    if (!info && type !== 'IHDR') throw bad(`chunk ${JSON.stringify(type)} before IHDR`);
    if (type === 'IHDR') info = readIhdr(bytes, at + 8, len, at, end, bad);
    else if (type === 'PLTE') { paletteSize = len / 3; info!.keep.push([at, end]); }
    else if (type === 'tRNS') { if (info!.colorType === 3) info!.keep.push([at, end]); }
    else if (type === 'IDAT') { info!.keep.push([at, end]); info!.idat.push([at + 8, at + 8 + len]); }
    else if (type === 'IEND') break;
    else if (!(bytes[at + 4]! & 0x20)) throw bad(`unknown critical chunk ${JSON.stringify(type)}`);
    at = end;
  }
  if (!info!.idat.length) throw bad('no IDAT chunk (no pixels)');
  if (info!.colorType === 3 && !(paletteSize >= 1 && paletteSize <= 256 && Number.isInteger(paletteSize))) throw bad(`a palette image without a valid PLTE chunk`);
  return info!;
}

function readIhdr(b: Uint8Array, p: number, len: number, start: number, end: number, bad: (w: string) => EngineError): PngInfo {
  if (len !== 13) throw bad(`an IHDR chunk of ${len} bytes (13 expected)`);
  const width = u32(b, p), height = u32(b, p + 4), depth = b[p + 8]!, colorType = b[p + 9]!, interlace = b[p + 12]!;
  const ct = COLOR_TYPES[colorType];
  if (!ct) throw bad(`color type ${colorType}`);
  if (!ct.depths.includes(depth)) throw bad(`bit depth ${depth} for a ${ct.what} image (allowed: ${ct.depths.join(', ')})`);
  if (b[p + 10] !== 0 || b[p + 11] !== 0 || interlace > 1) throw bad(`compression, filter or interlace method ${b[p + 10]}/${b[p + 11]}/${interlace}`);
  return {
    format: 'png', width, height, channels: ct.channels, depth: (colorType === 3 ? 8 : depth) as ImageHeader['depth'],
    colorType, interlaced: interlace === 1, keep: [[start, end]], idat: [],
  };
}

/** Header only; the palette's transparency (4 channels) is known only after the walk. */
export function probePng(bytes: Uint8Array, name: string): ImageHeader {
  const info = walk(bytes, name);
  const channels = info.colorType === 3 && info.keep.some(([s]) => chunkType(bytes, s + 4) === 'tRNS') ? 4 : info.channels;
  return { format: 'png', width: info.width, height: info.height, channels, depth: info.depth };
}

/** Bytes of the filtered scanlines (one filter byte per row), over the 7 passes when interlaced. */
function rawSize(w: number, h: number, samples: number, bits: number, interlaced: boolean): number {
  const rows = (pw: number, ph: number) => (pw > 0 && ph > 0 ? ph * (1 + Math.ceil((pw * samples * bits) / 8)) : 0);
  if (!interlaced) return rows(w, h);
  return ADAM7.reduce((s, [x0, y0, dx, dy]) => s + rows(Math.ceil((w - x0!) / dx!), Math.ceil((h - y0!) / dy!)), 0);
}

/** Inflates the IDAT stream, counting only: more or fewer bytes than the rows need is a corrupt (or hostile) file. */
function checkInflatedSize(bytes: Uint8Array, info: PngInfo, name: string): void {
  const samples = info.colorType === 3 ? 1 : info.channels;
  const bits = info.colorType === 3 ? bytes[info.keep[0]![0] + 16]! : info.depth;
  const want = rawSize(info.width, info.height, samples, bits, info.interlaced);
  let got = 0, done = false;
  const inflater = new Unzlib((chunk, final) => {
    got += chunk.length;
    if (got > want) throw new EngineError('invalid_data', `expected the pixel data of '${name}' to inflate to ${want} bytes, got more (corrupt file or deflate bomb)`);
    if (final) done = true;
  });
  try {
    for (const [s, e] of info.idat) {
      for (let p = s; p < e; p += INFLATE_CHUNK) inflater.push(bytes.subarray(p, Math.min(e, p + INFLATE_CHUNK)), false);
    }
    if (!done) inflater.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError('invalid_data', `expected a valid deflate stream in the pixel data of '${name}', got: ${(err as Error).message}`);
  }
  expect(got === want, 'invalid_data', `expected the pixel data of '${name}' to inflate to ${want} bytes, got ${got} (truncated or corrupt file)`);
}

/** PNG samples as 1-4 channels of 1-16 bits; palettes expanded to RGB(A), sub-byte grays unpacked. */
export function decodePng(bytes: Uint8Array, header: ImageHeader, name: string): DecodedImage {
  const info = walk(bytes, name);
  const bits = info.colorType === 3 ? bytes[info.keep[0]![0] + 16]! : info.depth;
  // fast-png 8.0 sizes interlaced rows by whole bytes per pixel, wrong below 8 bits: refused rather than misread.
  expect(!(info.interlaced && bits < 8), 'invalid_data',
    `expected a non-interlaced PNG when samples have fewer than 8 bits, got an interlaced ${bits}-bit one in '${name}' (re-save it without interlacing)`);
  checkInflatedSize(bytes, info, name);
  const parts = [bytes.subarray(0, 8), ...info.keep.map(([s, e]) => bytes.subarray(s, e)), Uint8Array.of(0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82)];
  const minimal = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (minimal.set(p, at), at + p.length), 0);
  const png = fastPngDecode(minimal);
  const base = { format: 'png' as const, width: png.width, height: png.height };
  if (info.colorType === 3) {
    const data = convertIndexedToRgb(png);
    return { ...base, channels: header.channels, depth: 8, data, maxValue: 255 };
  }
  const data = bits < 8 ? unpackBits(png, bits) : (png.data as Uint8Array | Uint16Array);
  return { ...base, channels: header.channels, depth: header.depth, data, maxValue: 2 ** bits - 1 };
}

/** Grayscale rows of 1, 2 or 4 bits per sample (each row starts on a byte) to one byte per sample. */
function unpackBits(png: DecodedPng, bits: number): Uint8Array {
  const { width, height } = png;
  const src = png.data as Uint8Array, stride = Math.ceil((width * bits) / 8), mask = (1 << bits) - 1;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * bits;
      out[y * width + x] = (src[y * stride + (bit >> 3)]! >> (8 - bits - (bit & 7))) & mask;
    }
  }
  return out;
}
