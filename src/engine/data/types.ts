// The engine's data types: an evaluation or training set held compactly (images NHWC in [0, 1] once decoded), and
// the image files (PNG, JPEG) such a set may be read from.
export interface Dataset {
  name: string;
  /** uint8 0-255 or float32 in [0, 1], NHWC, length N*H*W*C. */
  x: Uint8Array | Float32Array;
  /** [N, H, W, C] */
  shape: [number, number, number, number];
  /** Integer labels, length N. */
  y: Int32Array;
  /**
   * True when x arrived flat as [N, D]: `shape` is then [N, 1, 1, D] until `fitToModel`
   * resolves it against the model's [H, W, C] (the bytes are the same, C order).
   */
  flat?: boolean;
}

/** Image files (image.ts reads them; png.ts and jpeg.ts decode them). */
export type ImageFormat = 'png' | 'jpeg';

/** What the file's header declares; nothing past the header has been read. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Channels after decoding: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (a palette becomes 3, or 4 with transparency). */
  channels: 1 | 2 | 3 | 4;
  /** Bits per decoded sample: 1, 2, 4, 8 or 16 (a palette decodes to 8). */
  depth: 1 | 2 | 4 | 8 | 16;
}

/** Decoded pixels, HWC, samples in [0, maxValue] (maxValue = 2^depth - 1). */
export interface DecodedImage extends ImageHeader {
  data: Uint8Array | Uint16Array;
  maxValue: number;
}
