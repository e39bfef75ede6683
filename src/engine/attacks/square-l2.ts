// Square attack, L2 (Andriushchenko et al. 2020, section 3.2; checked against torchattacks' square.py): start
// from a grid of "eta" blocks (centred rectangles of decaying weight, opposite signs in the two halves) with a
// random sign per channel, scaled to the eps sphere; per query, move the mass of a random window w2 into a random
// window w1 (a new eta block plus w1's old content, rescaled so that the total stays on the sphere), renormalise
// the whole perturbation to eps, clip to [0, 1] and keep it if the margin decreased. NHWC, per sample.
import type { Rng } from '../rng';

export type Margins = (imgs: Float32Array[], rows: number[], key: readonly (string | number)[]) => Float32Array;

/** The paper's centred rectangles: weight 1/(k+1)^2 on the k-th ring around the centre, unit L2 norm. */
function etaRectangles(x: number, y: number): Float64Array {
  const d = new Float64Array(x * y);
  const xc = Math.floor(x / 2) + 1;
  const yc = Math.floor(y / 2) + 1;
  let c0 = xc - 1;
  let c1 = yc - 1;
  for (let k = 0; k < Math.max(xc, yc); k++, c0--, c1--) {
    for (let i = Math.max(c0, 0); i < Math.min(c0 + 2 * k + 1, x); i++) {
      for (let j = Math.max(c1, 0); j < Math.min(c1 + 2 * k + 1, y); j++) d[i * y + j]! += 1 / (k + 1) ** 2;
    }
  }
  return unit(d);
}

function unit(d: Float64Array): Float64Array {
  const n = Math.sqrt(d.reduce((a, v) => a + v * v, 0));
  return d.map((v) => v / (n || 1));
}

/** An s x s block: +rectangles on the top half, -rectangles on the bottom half, transposed with probability 1/2. */
export function eta(s: number, rng: Rng): Float64Array {
  const top = etaRectangles(Math.floor(s / 2), s);
  const bottom = etaRectangles(s - Math.floor(s / 2), s);
  const d = new Float64Array(s * s);
  d.set(top, 0);
  bottom.forEach((v, i) => (d[top.length + i] = -v));
  const u = unit(d);
  if (rng.next() <= 0.5) return u;
  return u.map((_, k) => u[(k % s) * s + Math.floor(k / s)]!);
}

const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** x + eps * delta / ||delta||_2, clipped to [0, 1]. */
function onSphere(x: Float32Array, delta: Float64Array, eps: number): Float32Array {
  const n = Math.sqrt(delta.reduce((a, v) => a + v * v, 0)) + 1e-12;
  return x.map((v, k) => clip01(v + (eps * delta[k]!) / n));
}

/** Runs the L2 search for every row in place on `best` (flattened NHWC); the clean check is query 1. */
export function squareL2(
  xs: Float32Array, best: Float32Array, [n, h, w, c]: number[], eps: number, queries: number, pInit: number,
  streams: Rng[], margins: Margins, pSchedule: (p: number, it: number, total: number) => number,
): void {
  const d = h * w * c;
  const img = (buf: Float32Array, i: number) => buf.subarray(i * d, (i + 1) * d);
  const all = Array.from({ length: n }, (_, i) => i);
  const m = margins(all.map((i) => img(best, i)), all, ['square', eps, 'clean']);
  let active = all.filter((i) => m[i]! > 0);
  // Initialisation (query 2): a grid of eta blocks of side floor(h / 5), random sign per channel.
  const s0 = Math.max(Math.floor(h / 5), 1);
  const sp = Math.floor((h - s0 * 5) / 2);
  for (const i of active) {
    const delta = new Float64Array(d);
    for (let vh = sp; vh + s0 <= h && vh < sp + s0 * Math.floor(h / s0); vh += s0) {
      for (let vw = sp; vw + s0 <= w && vw < sp + s0 * Math.floor(w / s0); vw += s0) {
        const e = eta(s0, streams[i]!);
        for (let ch = 0; ch < c; ch++) {
          const sign = streams[i]!.next() < 0.5 ? -1 : 1;
          for (let a = 0; a < s0; a++) for (let b = 0; b < s0; b++) delta[((vh + a) * w + vw + b) * c + ch]! += sign * e[a * s0 + b]!;
        }
      }
    }
    best.set(onSphere(img(xs, i), delta, eps), i * d);
  }
  const m2 = margins(active.map((i) => img(best, i)), active, ['square', eps, 'init']);
  active.forEach((i, k) => (m[i] = m2[k]!));
  active = active.filter((i) => m[i]! > 0);
  for (let it = 0; it + 2 < queries && active.length > 0; it++) {
    let s = Math.max(Math.round(Math.sqrt((pSchedule(pInit, it, queries) * d) / c)), 3);
    if (s % 2 === 0) s++;
    s = Math.min(s, h - 1, w - 1);
    const cand = active.map((i) => proposal(img(xs, i), img(best, i), [h, w, c], s, eps, streams[i]!));
    const mc = margins(cand, active, ['square', eps, it]);
    active.forEach((i, k) => {
      if (mc[k]! < m[i]!) {
        m[i] = mc[k]!;
        best.set(cand[k]!, i * d);
      }
    });
    active = active.filter((i) => m[i]! > 0);
  }
}

/** One proposal of the L2 search (torchattacks square.py, L2 branch), for one sample. */
function proposal(x: Float32Array, best: Float32Array, [h, w, c]: number[], s: number, eps: number, rng: Rng): Float32Array {
  const delta = Float64Array.from(best, (v, k) => v - x[k]!);
  const [vh, vw, vh2, vw2] = [rng.int(h - s), rng.int(w - s), rng.int(h - s), rng.int(w - s)];
  const inW = (r: number, q: number, r0: number, q0: number) => r >= r0 && r < r0 + s && q >= q0 && q < q0 + s;
  let image = 0;
  let windows = 0;
  const win1 = new Float64Array(c);
  for (let r = 0; r < h; r++) {
    for (let q = 0; q < w; q++) {
      const w1 = inW(r, q, vh, vw);
      const any = w1 || inW(r, q, vh2, vw2);
      for (let ch = 0; ch < c; ch++) {
        const v = delta[(r * w + q) * c + ch]!;
        image += v * v;
        if (any) windows += v * v;
        if (w1) win1[ch]! += v * v;
      }
    }
  }
  const target = Math.sqrt(Math.max(eps * eps - image, 0) / c + windows);
  const e = eta(s, rng);
  const fresh = new Float64Array(s * s * c);
  for (let ch = 0; ch < c; ch++) {
    const sign = rng.next() < 0.5 ? -1 : 1;
    const n1 = Math.sqrt(win1[ch]!) + 1e-12;
    let nn = 0;
    for (let a = 0; a < s; a++) {
      for (let b = 0; b < s; b++) {
        const v = sign * e[a * s + b]! + delta[((vh + a) * w + vw + b) * c + ch]! / n1;
        fresh[(a * s + b) * c + ch] = v;
        nn += v * v;
      }
    }
    const scale = target / (Math.sqrt(nn) + 1e-12);
    for (let k = ch; k < fresh.length; k += c) fresh[k]! *= scale;
  }
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) for (let ch = 0; ch < c; ch++) delta[((vh2 + a) * w + vw2 + b) * c + ch] = 0;
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) for (let ch = 0; ch < c; ch++) delta[((vh + a) * w + vw + b) * c + ch] = fresh[(a * s + b) * c + ch]!;
  return onSphere(x, delta, eps);
}
