// k-bit symmetric uniform weight quantization of METHOD.md (k = 1 is binary), per tensor or per output channel.
import { expect } from '../errors';

export const MIN_BITS = 1;
export const MAX_BITS = 8;

export interface QuantizedTensor {
  values: Float32Array;
  /**
   * Per channel (length 1 per tensor): the float32 step s for k >= 2 (values are fround(s * j),
   * |j| <= 2^(k-1) - 1), the magnitude mean|W| for k = 1 (values are +-a). 0 for an all-zero channel.
   */
  scales: Float32Array;
}

/** Largest grid index 2^(k-1) - 1 of the symmetric k-bit quantizer (0 for binary). */
export const maxLevel = (bits: number): number => 2 ** (bits - 1) - 1;

export function checkBits(bits: number): void {
  expect(Number.isInteger(bits) && bits >= MIN_BITS && bits <= MAX_BITS, 'invalid_argument', `expected a bit width that is an integer from ${MIN_BITS} to ${MAX_BITS}, got ${bits}`);
}

/** Rounds half away from zero, so that Q(-W) = -Q(W) exactly. */
const roundSym = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

/**
 * Q_k(W). k >= 2: s = max|W| / (2^(k-1) - 1), W_q = s * clamp(round(W / s), -(2^(k-1)-1), 2^(k-1)-1).
 * k = 1: W_q = mean|W| * sign(W), sign(0) = +1. `channels` > 1 gives one scale per output channel,
 * the last axis of a Dense [in, out] or Conv2D [kh, kw, in, out] kernel (element i is in channel i % channels).
 * s is rounded to float32 first so that every value is exactly fround(s * j): the uint8 encoding
 * min = -m * s, scale = s then reproduces the values bit for bit (see save.ts).
 */
export function quantizeTensor(w: Float32Array, bits: number, channels = 1): QuantizedTensor {
  checkBits(bits);
  expect(Number.isInteger(channels) && channels >= 1 && w.length % channels === 0, 'invalid_argument', `expected a channel count dividing ${w.length}, got ${channels}`);
  const m = maxLevel(bits);
  const acc = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]!);
    const c = i % channels;
    acc[c] = bits === 1 ? acc[c]! + a : Math.max(acc[c]!, a);
  }
  const per = w.length / channels;
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = bits === 1 ? (per ? acc[c]! / per : 0) : acc[c]! / m;
  const values = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const s = scales[i % channels]!;
    if (s === 0) continue; // all-zero channel stays zero
    const j = bits === 1 ? (w[i]! >= 0 ? 1 : -1) : Math.min(m, Math.max(-m, roundSym(w[i]! / s)));
    if (j !== 0) values[i] = s * j; // +0, never -0, for level 0
  }
  return { values, scales };
}

/** The affine form `min + scale * q` (q = 0 .. 2m) of a per-tensor k-bit grid, as tfjs manifests store it. */
export function affineGrid(bits: number, scale: number): { min: number; scale: number } {
  // Binary values are +-a: q = 0 gives -a, q = 1 gives -a + 2a = a (both exact in double).
  return bits === 1 ? { min: -scale, scale: 2 * scale } : { min: -maxLevel(bits) * scale, scale };
}
