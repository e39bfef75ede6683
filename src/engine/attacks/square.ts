// Square attack: Andriushchenko, Croce, Flammarion & Hein 2020, "Square Attack: a query-efficient black-box
// adversarial attack via random search". Score-based (logits only, no gradient). L-inf: vertical-stripe
// initialisation, then per query one random square of side s (from the p schedule) set to +-eps per channel,
// kept if the margin loss z_y - max_{j!=y} z_j decreases. L2: square-l2.ts. Per sample: own random stream, stops
// once misclassified. Defaults (SQUARE_DEFAULTS): 1000 queries (forward passes per sample, the clean check
// included; 5000 "thorough"), p_init 0.8 (MNIST).
import * as tf from '@tensorflow/tfjs-core';
import { type Rng, sampleStreams } from '../rng';
import type { Classifier } from '../types';
import type { Attack, RunContext } from './types';
import { type Key, margin, query } from './common';
import { squareL2 } from './square-l2';

export const SQUARE_DEFAULTS = { queries: 1000, queriesThorough: 5000, pInit: 0.8 } as const;

/** The paper's piecewise-constant schedule of the changed fraction p, by fraction of the query budget. */
export function pSchedule(pInit: number, it: number, total: number): number {
  const t = Math.floor((it / total) * 10000);
  const cuts = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000, 10000];
  for (let j = 0; j < cuts.length - 1; j++) if (t > cuts[j] && t <= cuts[j + 1]) return pInit / 2 ** (j + 1);
  return pInit;
}

export class Square implements Attack {
  readonly name = 'square' as const;
  readonly norms = ['linf', 'l2'] as const;

  constructor(private readonly s: { queries: number; pInit: number }) {}

  run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    const d = h * w * c;
    const xs = x.dataSync() as Float32Array;
    const best = Float32Array.from(xs);
    const streams = sampleStreams(ctx.seed, ['square', eps], ctx.indices);
    if (ctx.norm === 'l2') {
      const margins = (imgs: Float32Array[], rows: number[], key: Key) => this.marginsOf(model, imgs, rows, [h, w, c], y, ctx, key);
      squareL2(xs, best, [n, h, w, c], eps, this.s.queries, this.s.pInit, streams, margins, pSchedule);
      return tf.tensor4d(best, [n, h, w, c]);
    }
    const all = Array.from({ length: n }, (_, i) => i);
    // Query 1: the clean check; a sample misclassified already is returned unchanged.
    let m = this.margins(model, best, all, [h, w, c], y, ctx, ['square', eps, 'clean']);
    let active = all.filter((i) => m[i] > 0);
    for (const i of active) this.stripes(xs, best, i, [h, w, c], eps, streams[i]);
    // Query 2: the stripes.
    const m2 = this.margins(model, best, active, [h, w, c], y, ctx, ['square', eps, 'init']);
    active.forEach((i, k) => (m[i] = m2[k]));
    active = active.filter((i) => m[i] > 0);
    for (let it = 0; it + 2 < this.s.queries && active.length > 0; it++) {
      const side = Math.min(Math.max(Math.round(Math.sqrt((pSchedule(this.s.pInit, it, this.s.queries) * d) / c)), 1), h - 1);
      const cand = active.map((i) => this.proposal(xs, best, i, [h, w, c], side, eps, streams[i]));
      const mc = this.marginsOf(model, cand, active, [h, w, c], y, ctx, ['square', eps, it]);
      active.forEach((i, k) => {
        if (mc[k] < m[i]) {
          m[i] = mc[k];
          best.set(cand[k], i * d);
        }
      });
      active = active.filter((i) => m[i] > 0);
    }
    return tf.tensor4d(best, [n, h, w, c]);
  }

  /** x + eps * (+-1 per column and channel), clipped: the paper's vertical-stripe start. */
  private stripes(xs: Float32Array, best: Float32Array, i: number, [h, w, c]: number[], eps: number, rng: Rng): void {
    const base = i * h * w * c;
    for (let col = 0; col < w; col++) {
      for (let ch = 0; ch < c; ch++) {
        const s = rng.next() < 0.5 ? -eps : eps;
        for (let row = 0; row < h; row++) {
          const k = base + (row * w + col) * c + ch;
          best[k] = clip01(xs[k] + s);
        }
      }
    }
  }

  /** The current best with one random s x s window set to x + (+-eps per channel), redrawn until it changes. */
  private proposal(xs: Float32Array, best: Float32Array, i: number, [h, w, c]: number[], s: number, eps: number, rng: Rng) {
    const base = i * h * w * c;
    const out = best.slice(base, base + h * w * c);
    const r0 = rng.int(h - s + 1);
    const c0 = rng.int(w - s + 1);
    for (let tries = 0; tries < 100; tries++) {
      let changed = false;
      for (let ch = 0; ch < c; ch++) {
        const delta = rng.next() < 0.5 ? -eps : eps;
        for (let row = r0; row < r0 + s; row++) {
          for (let col = c0; col < c0 + s; col++) {
            const k = (row * w + col) * c + ch;
            out[k] = clip01(xs[base + k] + delta);
            if (Math.abs(out[k] - best[base + k]) >= 1e-7) changed = true;
          }
        }
      }
      if (changed) break;
    }
    return out;
  }

  private margins(model: Classifier, buf: Float32Array, rows: number[], shape: number[], y: tf.Tensor1D, ctx: RunContext, key: Key) {
    const d = shape[0] * shape[1] * shape[2];
    return this.marginsOf(model, rows.map((i) => buf.subarray(i * d, (i + 1) * d)), rows, shape, y, ctx, key);
  }

  /** One forward pass over the given samples' images (a query each), keyed by their global indices. */
  private marginsOf(model: Classifier, imgs: Float32Array[], rows: number[], [h, w, c]: number[], y: tf.Tensor1D, ctx: RunContext, key: Key) {
    if (rows.length === 0) return new Float32Array(0);
    const flat = new Float32Array(rows.length * h * w * c);
    imgs.forEach((img, k) => flat.set(img, k * h * w * c));
    const sub = { ...ctx, indices: rows.map((i) => ctx.indices[i]) };
    const out = tf.tidy(() => {
      const yy = tf.gather(y, tf.tensor1d(rows, 'int32')) as tf.Tensor1D;
      return margin(query(model, tf.tensor4d(flat, [rows.length, h, w, c]), sub, key), yy);
    });
    const v = Float32Array.from(out.dataSync() as Float32Array);
    out.dispose();
    return v;
  }
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
