// An evaluation or training set held compactly; images NHWC in [0, 1] once decoded.
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
