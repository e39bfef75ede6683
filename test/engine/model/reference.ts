// Plain-JS reference forward pass (double precision, one sample at a time) over the test helper's TinyLayer list.
import type { TinyLayer } from '../../helpers/models';

type Act = (v: number[]) => number[];
const map = (f: (x: number) => number): Act => (v) => v.map(f);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
export const ACTS: Record<string, Act> = {
  linear: (v) => v,
  relu: map((x) => Math.max(0, x)),
  relu6: map((x) => Math.min(6, Math.max(0, x))),
  sigmoid: map(sigmoid),
  tanh: map(Math.tanh),
  elu: map((x) => (x > 0 ? x : Math.exp(x) - 1)),
  selu: map((x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.exp(x) - 1))),
  softplus: map((x) => Math.log(1 + Math.exp(x))),
  swish: map((x) => x * sigmoid(x)),
  silu: map((x) => x * sigmoid(x)),
  softmax: (v) => {
    const m = Math.max(...v);
    const e = v.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  },
};

const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

/** TensorFlow's SAME/VALID geometry: output size and the padding before the first element. */
function geometry(n: number, k: number, s: number, pad: string): { out: number; before: number } {
  if (pad === 'valid') return { out: Math.ceil((n - k + 1) / s), before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) };
}

function conv(x: number[], [h, w, c]: number[], k: Float32Array, kh: number, kw: number, f: number, s: [number, number], pad: string, b?: Float32Array) {
  const gy = geometry(h, kh, s[0], pad), gx = geometry(w, kw, s[1], pad);
  const y: number[] = [];
  for (let oy = 0; oy < gy.out; oy++) for (let ox = 0; ox < gx.out; ox++) for (let o = 0; o < f; o++) {
    let acc = b ? b[o]! : 0;
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const iy = oy * s[0] + i - gy.before, ix = ox * s[1] + j - gx.before;
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      for (let ci = 0; ci < c; ci++) acc += x[(iy * w + ix) * c + ci]! * k[((i * kw + j) * c + ci) * f + o]!;
    }
    y.push(acc);
  }
  return { y, shape: [gy.out, gx.out, f] };
}

/** Pooling; average over the cells inside the input only (TF's SAME average pooling excludes padding). */
function pool(x: number[], [h, w, c]: number[], p: [number, number], s: [number, number], pad: string, op: 'max' | 'avg') {
  const gy = geometry(h, p[0], s[0], pad), gx = geometry(w, p[1], s[1], pad);
  const y: number[] = [];
  for (let oy = 0; oy < gy.out; oy++) for (let ox = 0; ox < gx.out; ox++) for (let ci = 0; ci < c; ci++) {
    const vals: number[] = [];
    for (let i = 0; i < p[0]; i++) for (let j = 0; j < p[1]; j++) {
      const iy = oy * s[0] + i - gy.before, ix = ox * s[1] + j - gx.before;
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) vals.push(x[(iy * w + ix) * c + ci]!);
    }
    y.push(op === 'max' ? Math.max(...vals) : vals.reduce((a, b) => a + b, 0) / vals.length);
  }
  return { y, shape: [gy.out, gx.out, c] };
}

/** Output of the layer list for one sample; weights keyed `${name}/${kind}` as the helper names them. */
export function referenceForward(layers: TinyLayer[], names: string[], weights: Map<string, Float32Array>, inputShape: number[], x: ArrayLike<number>): number[] {
  let v = Array.from(x);
  let shape = inputShape;
  layers.forEach((l, li) => {
    const W = (kind: string) => weights.get(`${names[li]}/${kind}`);
    const c = shape[shape.length - 1]!;
    switch (l.type) {
      case 'dense': {
        const k = W('kernel')!, b = W('bias');
        v = ACTS[l.activation ?? 'linear']!(Array.from({ length: l.units }, (_, o) => v.reduce((a, xi, i) => a + xi * k[i * l.units + o]!, b ? b[o]! : 0)));
        shape = [l.units];
        break;
      }
      case 'conv2d': {
        const [kh, kw] = pair(l.kernelSize, 1);
        const r = conv(v, shape, W('kernel')!, kh, kw, l.filters, pair(l.strides, 1), l.padding ?? 'valid', W('bias'));
        v = ACTS[l.activation ?? 'linear']!(r.y);
        shape = r.shape;
        break;
      }
      case 'maxPool':
      case 'avgPool': {
        const p = pair(l.poolSize, 2);
        const r = pool(v, shape, p, pair(l.strides, p[0]), l.padding ?? 'valid', l.type === 'maxPool' ? 'max' : 'avg');
        v = r.y;
        shape = r.shape;
        break;
      }
      case 'flatten': shape = [v.length]; break;
      case 'reshape': shape = l.targetShape; break;
      case 'dropout': break;
      case 'activation': v = ACTS[l.activation]!(v); break;
      case 'relu': v = v.map((t) => Math.min(l.maxValue ?? Infinity, Math.max(0, t))); break;
      case 'softmax': v = ACTS.softmax!(v); break;
      case 'batchNorm': {
        const g = W('gamma'), be = W('beta'), m = W('moving_mean')!, va = W('moving_variance')!;
        v = v.map((t, i) => {
          const ch = i % c;
          return ((t - m[ch]!) / Math.sqrt(va[ch]! + (l.epsilon ?? 1e-3))) * (g ? g[ch]! : 1) + (be ? be[ch]! : 0);
        });
        break;
      }
      case 'raw': throw new Error('no reference for raw layers');
    }
  });
  return v;
}
