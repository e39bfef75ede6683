// Seeded randomness keyed by (seed, purpose, sample index): a sample's noise does not depend on its batch,
// so a chunked audit draws exactly the numbers a single pass draws.
import * as tf from '@tensorflow/tfjs-core';

/** 32-bit FNV-1a over a string, used to derive stream keys. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A small, fast PRNG (sfc32) with a 128-bit state that can be saved and restored. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | readonly [number, number, number, number], ...keys: (string | number)[]) {
    if (typeof seed === 'number') {
      const k = hash32(keys.join('/'));
      this.a = seed >>> 0;
      this.b = k;
      this.c = (seed ^ 0x9e3779b9) >>> 0;
      this.d = (k ^ 0x85ebca6b) >>> 0;
      for (let i = 0; i < 15; i++) this.next();
    } else {
      [this.a, this.b, this.c, this.d] = seed;
    }
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  state(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }
}

/**
 * One independent stream per sample: `streams(seed, ['pgd', eps, restart], indices)`.
 * `indices` are the samples' global positions in the data set, not positions in a batch.
 */
export function sampleStreams(seed: number, keys: readonly (string | number)[], indices: readonly number[]): Rng[] {
  return indices.map((i) => new Rng(seed, ...keys, i));
}

/** A [N, ...shape] tensor of uniform noise in [lo, hi), row n drawn from `streams[n]`. */
export function uniformPerSample(streams: readonly Rng[], shape: readonly number[], lo: number, hi: number): tf.Tensor {
  const per = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(streams.length * per);
  streams.forEach((r, n) => {
    for (let i = 0; i < per; i++) out[n * per + i] = lo + (hi - lo) * r.next();
  });
  return tf.tensor(out, [streams.length, ...shape]);
}

/** Like `uniformPerSample`, standard normal. */
export function normalPerSample(streams: readonly Rng[], shape: readonly number[]): tf.Tensor {
  const per = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(streams.length * per);
  streams.forEach((r, n) => {
    for (let i = 0; i < per; i++) out[n * per + i] = r.normal();
  });
  return tf.tensor(out, [streams.length, ...shape]);
}
