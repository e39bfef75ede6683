// Constant propagation: the shape arithmetic torch.onnx emits (Shape -> Gather -> Unsqueeze -> Concat -> Reshape)
// and weight rewrites (Transpose, Cast, QuantizeLinear -> DequantizeLinear) are computed at import time.
import { DT, type Const } from './decode';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const isFloat = (dt: number) => dt === DT.FLOAT || dt === DT.FLOAT16 || dt === DT.DOUBLE;

export function make(shape: number[], values: ArrayLike<number>, dtype: number, storedAs: Const['storedAs'] = 'float32'): Const {
  const data = isFloat(dtype) ? Float32Array.from(values) : Float64Array.from(values);
  return { shape, data, dtype: isFloat(dtype) ? DT.FLOAT : dtype, storedAs };
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Numpy-broadcast elementwise f(a, b); null when the shapes do not broadcast. */
export function binary(a: Const, b: Const, f: (x: number, y: number) => number): Const | null {
  const r = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(r - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(r - b.shape.length).fill(1), ...b.shape];
  const out = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  if (pa.some((d, i) => d !== 1 && pb[i] !== 1 && d !== pb[i])) return null;
  const sa = strides(pa), sb = strides(pb), so = strides(out);
  const n = size(out);
  const v = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let ia = 0, ib = 0;
    for (let i = 0; i < r; i++) {
      const c = Math.floor(k / so[i]!) % out[i]!;
      if (pa[i] !== 1) ia += c * sa[i]!;
      if (pb[i] !== 1) ib += c * sb[i]!;
    }
    v[k] = f(a.data[ia]!, b.data[ib]!);
  }
  const dt = isFloat(a.dtype) || isFloat(b.dtype) ? DT.FLOAT : a.dtype;
  return make(out, isFloat(dt) ? v : v.map(Math.trunc), dt);
}

export function transpose(c: Const, perm: number[]): Const {
  const out = perm.map((p) => c.shape[p]!);
  const si = strides(c.shape), so = strides(out);
  const v = new (c.data.constructor as Float32ArrayConstructor)(c.data.length);
  for (let k = 0; k < v.length; k++) {
    let src = 0;
    for (let i = 0; i < out.length; i++) src += (Math.floor(k / so[i]!) % out[i]!) * si[perm[i]!]!;
    v[k] = c.data[src]!;
  }
  return { ...c, shape: out, data: v };
}

export function gather(c: Const, idx: Const, axis: number): Const {
  const ax = axis < 0 ? axis + c.shape.length : axis;
  const outer = size(c.shape.slice(0, ax)), inner = size(c.shape.slice(ax + 1)), n = c.shape[ax]!;
  const v: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const i of idx.data) {
      const j = i < 0 ? i + n : i;
      if (!(j >= 0 && j < n)) return { ...c, shape: [-1], data: new Float64Array() };
      for (let k = 0; k < inner; k++) v.push(c.data[(o * n + j) * inner + k]!);
    }
  }
  return { ...c, shape: [...c.shape.slice(0, ax), ...idx.shape, ...c.shape.slice(ax + 1)], data: new (c.data.constructor as Float64ArrayConstructor)(v) };
}

export function concat(cs: Const[], axis: number): Const {
  const r = cs[0]!.shape.length;
  const ax = axis < 0 ? axis + r : axis;
  const outer = size(cs[0]!.shape.slice(0, ax));
  const v: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const c of cs) {
      const chunk = size(c.shape.slice(ax));
      for (let k = 0; k < chunk; k++) v.push(c.data[o * chunk + k]!);
    }
  }
  const shape = [...cs[0]!.shape];
  shape[ax] = cs.reduce((a, c) => a + c.shape[ax]!, 0);
  return make(shape, v, cs[0]!.dtype);
}

/** ONNX Reshape's target: 0 copies the input's dim (unless allowzero), one -1 is inferred; null if it cannot hold n. */
export function reshapeTarget(from: readonly number[], target: readonly number[], allowZero: boolean): number[] | null {
  const t = target.map((d, i) => (d === 0 && !allowZero ? from[i]! : d));
  const n = size(from);
  const known = size(t.filter((d) => d !== -1));
  const unknown = t.filter((d) => d === -1).length;
  if (unknown > 1 || t.some((d) => d < -1) || (unknown ? known === 0 || n % known !== 0 : known !== n)) return null;
  return t.map((d) => (d === -1 ? n / known : d));
}

/** Squeeze / Unsqueeze axes normalized against the output (unsqueeze) or input (squeeze) rank. */
export function unsqueezeShape(shape: readonly number[], axes: number[]): number[] {
  const r = shape.length + axes.length;
  const norm = new Set(axes.map((a) => (a < 0 ? a + r : a)));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(norm.has(i) ? 1 : shape[j++]!);
  return out;
}

export function squeezeShape(shape: readonly number[], axes: number[] | null): number[] {
  const norm = axes ? new Set(axes.map((a) => (a < 0 ? a + shape.length : a))) : null;
  return shape.filter((d, i) => !(norm ? norm.has(i) : d === 1));
}

/** DequantizeLinear of a constant: (q - zp) * scale, per tensor or along `axis`. */
export function dequantize(q: Const, scale: Const, zp: Const | null, axis: number): Const {
  const ax = axis < 0 ? axis + q.shape.length : axis;
  const per = scale.data.length > 1;
  const inner = per ? size(q.shape.slice(ax + 1)) : 1;
  const n = per ? q.shape[ax]! : 1;
  const v = new Float32Array(q.data.length);
  for (let i = 0; i < v.length; i++) {
    const c = per ? Math.floor(i / inner) % n : 0;
    v[i] = Math.fround((q.data[i]! - (zp ? zp.data[c]! : 0)) * scale.data[c]!);
  }
  const storedAs = q.dtype === DT.INT8 ? 'int8' : q.dtype === DT.UINT8 ? 'uint8' : q.dtype === DT.INT32 ? 'int32' : q.storedAs;
  return { shape: q.shape, data: v, dtype: DT.FLOAT, storedAs };
}

/** QuantizeLinear of a constant: saturate(round-half-even(x / scale) + zp). */
export function quantize(x: Const, scale: Const, zp: Const | null, axis: number): Const {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const per = scale.data.length > 1;
  const inner = per ? size(x.shape.slice(ax + 1)) : 1;
  const n = per ? x.shape[ax]! : 1;
  const dt = zp ? zp.dtype : DT.UINT8;
  const [lo, hi] = dt === DT.INT8 ? [-128, 127] : [0, 255];
  const v = new Float64Array(x.data.length);
  for (let i = 0; i < v.length; i++) {
    const c = per ? Math.floor(i / inner) % n : 0;
    const y = Math.fround(x.data[i]! / scale.data[c]!);
    const r = Math.round(y);
    const even = Math.abs(y % 1) === 0.5 ? 2 * Math.round(y / 2) : r;
    v[i] = Math.min(hi, Math.max(lo, even + (zp ? zp.data[c]! : 0)));
  }
  return { shape: x.shape, data: v, dtype: dt, storedAs: dt === DT.INT8 ? 'int8' : 'uint8' };
}

/** Slice of a constant (shape arithmetic, e.g. torch's pad export reverses a pads list with step -1). */
export function slice(c: Const, starts: number[], ends: number[], axes: number[] | null, steps: number[] | null): Const | null {
  const r = c.shape.length;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
  const ranges = c.shape.map((n) => Array.from({ length: n }, (_, i) => i));
  for (let k = 0; k < ax.length; k++) {
    const n = c.shape[ax[k]!]!;
    const step = steps ? steps[k]! : 1;
    if (step !== 1 && step !== -1) return null;
    const clampI = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
    const idx: number[] = [];
    if (step === 1) for (let i = clampI(starts[k]!, 0, n); i < clampI(ends[k]!, 0, n); i++) idx.push(i);
    else for (let i = clampI(starts[k]!, -1, n - 1); i > (ends[k]! < -n ? -1 : clampI(ends[k]!, -1, n - 1)); i--) idx.push(i);
    ranges[ax[k]!] = idx;
  }
  const shape = ranges.map((x) => x.length);
  const st = strides(c.shape);
  const out: number[] = [];
  const walk = (d: number, off: number): void => {
    if (d === r) { out.push(c.data[off]!); return; }
    for (const i of ranges[d]!) walk(d + 1, off + i * st[d]!);
  };
  walk(0, 0);
  return { ...c, shape, data: new (c.data.constructor as Float64ArrayConstructor)(out) };
}
