// Distinct values and uniform-grid detection of a weight tensor: the implied bit width of a quantized upload.
import type { WeightGrid } from './types';

/** Largest number of grid points that still counts as quantized (8 bits). */
export const MAX_GRID_LEVELS = 256;
// Float32 values on a grid of <= 256 levels sit within ~3e-5 of a level index; random floats rarely do.
const TOLERANCE = 1e-4;

/** Sorted distinct values (0 and -0 count as one). */
export function distinctValues(v: Float32Array): Float32Array {
  const s = Float32Array.from(v, (x) => x + 0).sort();
  let n = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[n - 1]) s[n++] = s[i]!;
  return s.slice(0, n);
}

/** The coarsest uniform grid of at most 256 levels holding all of `d` (sorted, distinct), or null. */
export function findGrid(d: Float32Array): WeightGrid | null {
  if (d.length === 0 || d.length > MAX_GRID_LEVELS) return null;
  const min = d[0]!;
  const max = d[d.length - 1]!;
  if (d.length === 1) return { min, step: 0, levels: 1, symmetric: onQuantizerGrid(d) };
  for (let span = d.length - 1; span < MAX_GRID_LEVELS; span++) {
    const step = (max - min) / span;
    const fits = d.every((x) => {
      const t = (x - min) / step;
      return Math.abs(t - Math.round(t)) <= TOLERANCE;
    });
    if (fits) return { min, step, levels: span + 1, symmetric: onQuantizerGrid(d) };
  }
  return null;
}

/** ceil(log2(distinct)), at least 1 (a binary grid is 1 bit). */
export const impliedBits = (distinct: number): number => Math.max(1, Math.ceil(Math.log2(distinct)));

/**
 * True when the sorted distinct values `d` lie on the symmetric k-bit quantizer's grid s * j, |j| <= 2^(k-1) - 1,
 * s = max|d| / (2^(k-1) - 1), for some k in 2..8, or are the binary +-a. Stricter than findGrid, so that a
 * channel of only a few float values is not taken for a quantized one.
 */
export function onQuantizerGrid(d: Float32Array): boolean {
  const a = d.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  if (a === 0 || d.every((x) => Math.abs(Math.abs(x) - a) <= TOLERANCE * a)) return true;
  for (let k = 2; k <= 8; k++) {
    const s = a / (2 ** (k - 1) - 1);
    if (d.every((x) => Math.abs(x / s - Math.round(x / s)) <= TOLERANCE)) return true;
  }
  return false;
}
