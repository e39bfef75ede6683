// One PNG or JPEG file: its header read first (size checked before any pixel is decoded), then its pixels.
import { EngineError, expect } from '../errors';
import { decodeJpeg, probeJpeg } from './jpeg';
import { decodePng, probePng } from './png';
import type { DecodedImage, ImageFormat, ImageHeader } from './types';

export type { DecodedImage, ImageFormat, ImageHeader } from './types';

export interface ImageLimits {
  /** Width x height of one image, as declared by its header. */
  maxPixels: number;
}

/**
 * 2048 x 2048: a decoded image of that size and its decoder's working buffers stay well inside the
 * 128 MB of a Workers isolate; and shrinking a larger photo to a model's input without
 * antialiasing (see resize.ts) would alias anyway, so it is better downscaled before upload.
 */
export const IMAGE_MAX_PIXELS = 2048 * 2048;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format from the first bytes (not the file name): PNG's signature, or JPEG's SOI marker. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Reads only the header; refuses a size past `limits` ('limit_exceeded') before anything is allocated. */
export function probeImage(bytes: Uint8Array, name: string, limits: ImageLimits = { maxPixels: IMAGE_MAX_PIXELS }): ImageHeader {
  const format = sniffFormat(bytes);
  if (!format) throw new EngineError('invalid_data', `expected a PNG or JPEG image in '${name}', got other bytes (neither signature)`);
  const header = format === 'png' ? probePng(bytes, name) : probeJpeg(bytes, name);
  const { width, height } = header;
  expect(width >= 1 && height >= 1, 'invalid_data', `expected an image of at least 1x1 pixels in '${name}', got ${width}x${height}`);
  expect(width * height <= limits.maxPixels, 'limit_exceeded',
    `expected images of at most ${limits.maxPixels} pixels, got '${name}' declaring ${width}x${height} (${width * height}); downscale it first`);
  return header;
}

/** Header check, then the pixels; any decoder failure becomes 'invalid_data' naming the file. */
export function decodeImage(bytes: Uint8Array, name: string, limits?: ImageLimits): DecodedImage {
  const header = probeImage(bytes, name, limits);
  let img: DecodedImage;
  try {
    img = header.format === 'png' ? decodePng(bytes, header, name) : decodeJpeg(bytes, header, name);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError('invalid_data', `expected a valid ${header.format.toUpperCase()} image in '${name}', got a decoding error: ${(e as Error).message}`);
  }
  const n = img.width * img.height * img.channels;
  expect(img.width === header.width && img.height === header.height && img.data.length === n, 'invalid_data',
    `expected '${name}' to decode to ${header.width}x${header.height}x${header.channels} samples, got ${img.data.length}`);
  return img;
}
