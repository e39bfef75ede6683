// A decoded image to the model's [H, W, C] as uint8: channel conversion and bilinear resizing, one rounding.
import { expect } from '../errors';
import type { DecodedImage } from './types';

/**
 * ITU-R BT.601 luma, as PIL's convert('L') and torchvision's rgb_to_grayscale use it
 * (tf.image.rgb_to_grayscale uses the same weights).
 */
export const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * Source channels -> target channels. Alpha is dropped, not composited (PIL's convert('RGB'),
 * tf.io.decode_png(channels=3)); gray is replicated to RGB; RGB to gray is BT.601 luma; a target
 * alpha channel (C = 4) is opaque when the source has none.
 */
function mix(px: Float64Array, from: number, to: number, max: number, out: Uint8Array, o: number, to255: number): void {
  const put = (k: number, v: number) => { out[o + k] = Math.min(255, Math.max(0, Math.round(v * to255))); };
  const gray = from <= 2;
  if (to === 1) return put(0, gray ? px[0]! : LUMA[0] * px[0]! + LUMA[1] * px[1]! + LUMA[2] * px[2]!);
  for (let k = 0; k < 3; k++) put(k, px[gray ? 0 : k]!);
  if (to === 4) put(3, from === 2 || from === 4 ? px[from - 1]! : max);
}

/**
 * Sampling positions along one axis with half-pixel centers: output pixel i samples the source at
 * (i + 0.5) * in / out - 0.5, clamped to [0, in - 1]. This is tf.image.resize(method='bilinear',
 * antialias=False) in TF 2 (half_pixel_centers=True, align_corners=False), which Keras'
 * image_dataset_from_directory uses, and torch's interpolate(mode='bilinear', align_corners=False).
 */
export function axis(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; t: Float64Array } {
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const p = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), inSize - 1);
    lo[i] = Math.floor(p);
    hi[i] = Math.min(lo[i]! + 1, inSize - 1);
    t[i] = p - lo[i]!;
  }
  return { lo, hi, t };
}

/**
 * Writes `img` into `out` (length H*W*C, HWC) as 0-255: channels converted, resized bilinearly
 * (no antialiasing: shrinking by more than 2x skips source pixels, as tf.image.resize does), all
 * in double precision, then rounded once to the nearest 8-bit level (0.5 rounds up). An image
 * already at H x W with compatible 8-bit channels comes out unchanged.
 */
export function resizeInto(img: DecodedImage, H: number, W: number, C: number, out: Uint8Array): void {
  expect(C === 1 || C === 3 || C === 4, 'invalid_data', `expected a model input of 1, 3 or 4 channels for image data, got ${C}`);
  expect(out.length === H * W * C, 'invalid_argument', `expected an output of ${H * W * C} values, got ${out.length}`);
  const { width: w, height: h, channels: sc, data, maxValue } = img;
  const ys = axis(h, H), xs = axis(w, W);
  const to255 = 255 / maxValue;
  const px = new Float64Array(sc);
  for (let i = 0, o = 0; i < H; i++) {
    const r0 = ys.lo[i]! * w, r1 = ys.hi[i]! * w, ty = ys.t[i]!;
    for (let j = 0; j < W; j++, o += C) {
      const a = (r0 + xs.lo[j]!) * sc, b = (r0 + xs.hi[j]!) * sc, c = (r1 + xs.lo[j]!) * sc, d = (r1 + xs.hi[j]!) * sc;
      const tx = xs.t[j]!;
      for (let k = 0; k < sc; k++) {
        // tf's order: along x on both rows, then along y.
        const top = data[a + k]! + (data[b + k]! - data[a + k]!) * tx;
        const bottom = data[c + k]! + (data[d + k]! - data[c + k]!) * tx;
        px[k] = top + (bottom - top) * ty;
      }
      mix(px, sc, C, maxValue, out, o, to255);
    }
  }
}
