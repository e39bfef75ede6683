// HopSkipJump: Chen, Jordan & Wainwright 2020, "HopSkipJumpAttack: a query-efficient decision-based attack"
// (their reference code hsja.py). Label-only: a query answers "adversarial or not". From a random adversarial
// start, bisect to the boundary; then per iteration j estimate the boundary's normal from B_j = 100 sqrt(j)
// random probes at radius delta, step along it (sign of it at L-inf) by a geometric search from dist / sqrt(j),
// and bisect back to the boundary. L-inf and L2; theta = gamma / d^1.5 (L2) or gamma / d^2 (L-inf), gamma 1.
// Per sample: stops once its boundary point is within eps (success) or when the next iteration would exceed
// the query budget; every forward pass of one image counts as one query (the clean check included).
// Defaults (HSJ_DEFAULTS): 1000 queries, 100 initial probes, at most 10000 probes, 100 random starts.
import * as tf from '@tensorflow/tfjs-core';
import { type Rng, sampleStreams } from '../rng';
import type { Classifier, Norm } from '../types';
import type { Attack, AttackOutput, RunContext } from './types';
import { query } from './common';

export const HSJ_DEFAULTS = { queries: 1000, initEvals: 100, maxEvals: 10000, gamma: 1, initTries: 100 } as const;

/** Images per forward pass of the oracle (bounds memory when many probes are asked at once). */
const QUERY_BATCH = 256;

const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

function distance(a: Float32Array, b: Float32Array, norm: Norm): number {
  let r = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k]! - b[k]!);
    r = norm === 'linf' ? Math.max(r, d) : r + d * d;
  }
  return norm === 'linf' ? r : Math.sqrt(r);
}

/** hsja.py `project`: L2 blends x and p by alpha; L-inf clips p to the alpha-box around x. */
function blend(x: Float32Array, p: Float32Array, alpha: number, norm: Norm): Float32Array {
  return norm === 'l2' ? x.map((v, k) => (1 - alpha) * v + alpha * p[k]!) : p.map((v, k) => Math.min(Math.max(v, x[k]! - alpha), x[k]! + alpha));
}

export class HopSkipJump implements Attack {
  readonly name = 'hsj' as const;
  readonly norms = ['linf', 'l2'] as const;

  constructor(private readonly s: { queries: number }) {}

  run(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx: RunContext): AttackOutput {
    const [n, h, w, c] = x.shape;
    const d = h * w * c;
    const xs = x.dataSync() as Float32Array;
    const labels = Array.from(y.dataSync());
    const x0 = Array.from({ length: n }, (_, i) => xs.slice(i * d, (i + 1) * d));
    const used = new Int32Array(n);
    const budget = this.s.queries;
    // One oracle call: is each image (of sample rows[k]) adversarial? Counts one query per image.
    const oracle = (imgs: Float32Array[], rows: number[], key: (string | number)[]): Uint8Array => {
      const out = new Uint8Array(imgs.length);
      for (let s = 0; s < imgs.length; s += QUERY_BATCH) {
        const part = imgs.slice(s, s + QUERY_BATCH);
        const flat = new Float32Array(part.length * d);
        part.forEach((im, k) => flat.set(im, k * d));
        const ids = rows.slice(s, s + QUERY_BATCH);
        const pred = tf.tidy(() => tf.argMax(query(model, tf.tensor4d(flat, [part.length, h, w, c]), { ...ctx, indices: ids.map((i) => ctx.indices[i]!) }, [...key, s]), 1));
        const p = pred.dataSync();
        pred.dispose();
        ids.forEach((i, k) => {
          used[i]!++;
          out[s + k] = p[k] !== labels[i] ? 1 : 0;
        });
      }
      return out;
    };
    const st = new Search(x0, ctx.norm, d, oracle, sampleStreams(ctx.seed, ['hsj', eps], ctx.indices), eps);
    const clean = oracle(x0, x0.map((_, i) => i), ['hsj', eps, 'clean']);
    let active = x0.map((_, i) => i).filter((i) => !clean[i]);
    active = st.initialize(active, budget, used);
    for (let j = 1; active.length > 0; j++) {
      const evals = Math.min(Math.floor(HSJ_DEFAULTS.initEvals * Math.sqrt(j)), HSJ_DEFAULTS.maxEvals);
      // An iteration costs its probes, at least one step query and a bisection: it starts only when all fit.
      active = active.filter((i) => st.dist[i]! > eps && used[i]! + evals + 1 + st.bisectCost <= budget);
      if (active.length === 0) break;
      st.iterate(active, j, evals, used, budget);
    }
    const adv = new Float32Array(n * d);
    x0.forEach((xi, i) => adv.set(st.pert[i] ?? xi, i * d));
    return { adv: tf.tensor4d(adv, [n, h, w, c]), queries: used };
  }
}

type Oracle = (imgs: Float32Array[], rows: number[], key: (string | number)[]) => Uint8Array;

/** Per-sample state of the search: the current boundary point, its distance and the last pre-bisection distance. */
class Search {
  readonly pert: (Float32Array | undefined)[];
  readonly dist: Float64Array;
  private readonly distPost: Float64Array;
  private readonly theta: number;
  /** Queries of one bisection: ceil(log2(1 / theta)). */
  readonly bisectCost: number;

  constructor(private readonly x0: Float32Array[], private readonly norm: Norm, private readonly d: number,
    private readonly oracle: Oracle, private readonly rng: Rng[], private readonly eps: number) {
    this.pert = x0.map(() => undefined);
    this.dist = new Float64Array(x0.length).fill(Infinity);
    this.distPost = new Float64Array(x0.length);
    this.theta = norm === 'l2' ? HSJ_DEFAULTS.gamma / (Math.sqrt(d) * d) : HSJ_DEFAULTS.gamma / (d * d);
    this.bisectCost = Math.ceil(Math.log2(1 / this.theta));
  }

  /** Uniform noise until adversarial, a blend search towards x (tolerance 0.001), then the bisection. */
  initialize(rows: number[], budget: number, used: Int32Array): number[] {
    let todo = rows;
    const noise: Float32Array[] = [];
    for (let t = 0; t < HSJ_DEFAULTS.initTries && todo.length > 0; t++) {
      // Leave room for the blend search (at most 10 queries) and the bisection.
      todo = todo.filter((i) => used[i]! + 11 + this.bisectCost <= budget);
      const cand = todo.map((i) => Float32Array.from({ length: this.d }, () => this.rng[i]!.next()));
      const ok = this.oracle(cand, todo, ['hsj', this.eps, 'init', t]);
      todo.forEach((i, k) => ok[k] && (noise[i] = cand[k]));
      todo = todo.filter((_, k) => !ok[k]);
    }
    const found = rows.filter((i) => noise[i]);
    const lo = new Float64Array(this.x0.length);
    const hi = new Float64Array(this.x0.length).fill(1);
    for (let t = 0, open = found; open.length > 0; t++) {
      const mids = open.map((i) => (lo[i]! + hi[i]!) / 2);
      const ok = this.oracle(open.map((i, k) => blend(this.x0[i]!, noise[i]!, mids[k]!, 'l2')), open, ['hsj', this.eps, 'blend', t]);
      open.forEach((i, k) => (ok[k] ? (hi[i] = mids[k]!) : (lo[i] = mids[k]!)));
      open = open.filter((i) => hi[i]! - lo[i]! >= 0.001);
    }
    found.forEach((i) => (this.pert[i] = blend(this.x0[i]!, noise[i]!, hi[i]!, 'l2')));
    this.bisect(found, 'start');
    return found;
  }

  /** hsja.py `binary_search_batch`, per sample: pert moves to the boundary between x and pert. */
  private bisect(rows: number[], tag: string | number): void {
    const lo = new Float64Array(this.x0.length);
    const hi = new Float64Array(this.x0.length);
    const thr = new Float64Array(this.x0.length);
    for (const i of rows) {
      this.distPost[i] = distance(this.x0[i]!, this.pert[i]!, this.norm);
      hi[i] = this.norm === 'linf' ? this.distPost[i]! : 1;
      thr[i] = this.norm === 'linf' ? Math.min(this.distPost[i]! * this.theta, this.theta) : this.theta;
    }
    for (let t = 0, open = rows.filter((i) => (hi[i]! - lo[i]!) / thr[i]! > 1); open.length > 0; t++) {
      const mids = open.map((i) => (lo[i]! + hi[i]!) / 2);
      const ok = this.oracle(open.map((i, k) => blend(this.x0[i]!, this.pert[i]!, mids[k]!, this.norm)), open, ['hsj', this.eps, 'bisect', tag, t]);
      open.forEach((i, k) => (ok[k] ? (hi[i] = mids[k]!) : (lo[i] = mids[k]!)));
      open = open.filter((i) => (hi[i]! - lo[i]!) / thr[i]! > 1);
    }
    for (const i of rows) {
      this.pert[i] = blend(this.x0[i]!, this.pert[i]!, hi[i]!, this.norm);
      this.dist[i] = distance(this.x0[i]!, this.pert[i]!, this.norm);
    }
  }

  /** One iteration j for the given samples: gradient-direction estimate, geometric step, bisection. */
  iterate(rows: number[], j: number, evals: number, used: Int32Array, budget: number): void {
    const update = new Map<number, Float32Array>();
    const probes: Float32Array[] = [];
    const owner: number[] = [];
    const dirs: Float32Array[] = [];
    for (const i of rows) {
      const delta = j === 1 ? 0.1 : (this.norm === 'l2' ? Math.sqrt(this.d) : this.d) * this.theta * this.distPost[i]!;
      for (let e = 0; e < evals; e++) {
        const r = this.rng[i]!;
        const rv = Float32Array.from({ length: this.d }, () => (this.norm === 'l2' ? r.normal() : 2 * r.next() - 1));
        const nrm = Math.sqrt(rv.reduce((a, v) => a + v * v, 0)) || 1;
        const p = this.pert[i]!.map((v, k) => clip01(v + (delta * rv[k]!) / nrm));
        probes.push(p);
        owner.push(i);
        dirs.push(p.map((v, k) => (v - this.pert[i]![k]!) / delta));
      }
    }
    const ok = this.oracle(probes, owner, ['hsj', this.eps, 'grad', j]);
    rows.forEach((i, r) => {
      const f = Array.from({ length: evals }, (_, e) => 2 * ok[r * evals + e]! - 1);
      const mean = f.reduce((a, b) => a + b, 0) / evals;
      const g = new Float32Array(this.d);
      for (let e = 0; e < evals; e++) {
        const wgt = mean === 1 || mean === -1 ? mean : f[e]! - mean;
        const dir = dirs[r * evals + e]!;
        for (let k = 0; k < this.d; k++) g[k]! += (wgt * dir[k]!) / evals;
      }
      const gn = Math.sqrt(g.reduce((a, v) => a + v * v, 0)) || 1;
      update.set(i, g.map((v) => (this.norm === 'linf' ? Math.sign(v) : v / gn)));
    });
    // Geometric step search: from dist / sqrt(j), halve until the stepped point is adversarial.
    const step = new Float64Array(this.x0.length);
    rows.forEach((i) => (step[i] = this.dist[i]! / Math.sqrt(j)));
    for (let t = 0, open = rows; open.length > 0 && t < 30; t++) {
      open = open.filter((i) => used[i]! + this.bisectCost < budget);
      const cand = open.map((i) => this.pert[i]!.map((v, k) => clip01(v + step[i]! * update.get(i)![k]!)));
      const adv = this.oracle(cand, open, ['hsj', this.eps, 'step', j, t]);
      open.forEach((i, k) => adv[k] && (this.pert[i] = cand[k]!));
      open.forEach((i, k) => !adv[k] && (step[i]! /= 2));
      open = open.filter((_, k) => !adv[k]);
    }
    this.bisect(rows, j);
  }
}
