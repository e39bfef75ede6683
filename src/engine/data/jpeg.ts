// JPEG: our own marker walk to the frame header (size and components before decoding), then jpeg-js
// (pure JS; baseline and progressive Huffman, 8-bit) decodes with its own memory cap.
import jpeg from 'jpeg-js';
import { EngineError } from '../errors';
import type { DecodedImage, ImageHeader } from './types';

/** SOF markers jpeg-js decodes: baseline, extended sequential, progressive (all Huffman-coded). */
const SOF_SUPPORTED = new Set([0xc0, 0xc1, 0xc2]);
/** The other SOF markers: lossless, hierarchical and arithmetic-coded JPEG. */
const SOF_OTHER = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** jpeg-js's own allocation cap: a 2048x2048 frame with three full-resolution components needs ~60 MB. */
const JPEG_MAX_MEMORY_MB = 96;

export function probeJpeg(bytes: Uint8Array, name: string): ImageHeader {
  const bad = (what: string) => new EngineError('invalid_data', `expected a valid JPEG in '${name}', got ${what}`);
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw bad(`other bytes where a marker should be, at byte ${at}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) { at++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; }
    if (marker === 0xd9 || marker === 0xda) throw bad(`no frame header before ${marker === 0xda ? 'the scan' : 'the end'}`);
    const len = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (len < 2 || at + 2 + len > bytes.length) throw bad(`segment 0xFF${hex(marker)} running past the end of the file`);
    if (SOF_OTHER.has(marker)) throw bad(`an unsupported JPEG coding (marker 0xFF${hex(marker)}: lossless, hierarchical or arithmetic); re-save it as baseline or progressive`);
    if (SOF_SUPPORTED.has(marker)) {
      if (len < 8) throw bad('a truncated frame header');
      const precision = bytes[at + 4]!, height = (bytes[at + 5]! << 8) | bytes[at + 6]!, width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
      const components = bytes[at + 9]!;
      if (precision !== 8) throw bad(`${precision}-bit samples (8-bit JPEG only)`);
      if (height === 0) throw bad('a height defined later by a DNL marker (unsupported)');
      if (![1, 3, 4].includes(components)) throw bad(`${components} components (1 gray, 3 YCbCr/RGB or 4 CMYK expected)`);
      return { format: 'jpeg', width, height, channels: components === 1 ? 1 : 3, depth: 8 };
    }
    at += 2 + len;
  }
  throw bad('a file truncated before its frame header');
}

const hex = (m: number) => m.toString(16).toUpperCase().padStart(2, '0');

/**
 * jpeg-js always returns RGB; a one-component (gray) JPEG keeps one channel. Chroma is upsampled by
 * repetition (libjpeg's default "fancy" upsampling interpolates), and the IDCT is jpeg-js's own, so
 * values can differ from libjpeg's by a few levels; see test/engine/data/images.test.ts.
 */
export function decodeJpeg(bytes: Uint8Array, header: ImageHeader, name: string): DecodedImage {
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = jpeg.decode(bytes, {
      useTArray: true, formatAsRGBA: false, tolerantDecoding: false,
      maxResolutionInMP: (header.width * header.height) / 1e6 + 1, maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB,
    });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/maxMemoryUsageInMB|maxResolutionInMP/.test(msg)) throw new EngineError('limit_exceeded', `expected '${name}' to decode within ${JPEG_MAX_MEMORY_MB} MB, got: ${msg}`);
    throw new EngineError('invalid_data', `expected a valid JPEG image in '${name}', got a decoding error: ${msg}`);
  }
  let data = out.data;
  if (header.channels === 1) {
    data = new Uint8Array(out.width * out.height);
    for (let i = 0; i < data.length; i++) data[i] = out.data[3 * i]!;
  }
  return { ...header, width: out.width, height: out.height, data, maxValue: 255 };
}
