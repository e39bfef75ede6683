// The importer's state: ONNX tensor names bound to constants or to IR tensors with their layout, and the IR nodes
// and weights made so far. Layout: ONNX axis p[i] is IR axis i (batch first in both); 4-D tensors live as NHWC.
import { EngineError, expect } from '../../errors';
import { nodeShapes } from '../infer';
import type { Node, Op, WeightRole } from '../ir';
import type { StoredDtype } from '../types';
import type { Const } from './decode';

/** An IR tensor standing for an ONNX tensor of `shape` (batch included, as 1 if symbolic). */
export interface Val {
  kind: 'v';
  ir: string;
  shape: number[];
  p: number[];
  /** A flattened tensor whose IR features f are ONNX features perm[f] (an NCHW tensor flattened as NHWC). */
  rows?: { perm: Int32Array; src: Val };
}
export interface CVal extends Const { kind: 'c' }
/** A QuantizeLinear of an activation, waiting for its DequantizeLinear (fake quantization). */
export interface QVal { kind: 'q'; x: Val; scale: Const; zp: Const | null; axis: number }
export type Entry = Val | CVal | QVal;

export interface Weight { data: Float32Array; shape: number[]; storedAs: StoredDtype }

const identity = (r: number) => Array.from({ length: r }, (_, i) => i);
/** The IR layout of an ONNX tensor of rank r: NCHW as NHWC, anything else as it is. */
export const canonical = (r: number) => (r === 4 ? [0, 2, 3, 1] : identity(r));
const sameArr = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export class Ctx {
  readonly nodes: Node[] = [];
  readonly weights = new Map<string, Weight>();
  readonly env = new Map<string, Entry>();
  private readonly irShapes = new Map<string, number[]>();
  private readonly used = new Set<string>();
  /** The ONNX node being imported, for names and errors. */
  at = '';
  opType = '';

  constructor(readonly opset: number) {}

  fail(code: 'invalid_model' | 'unsupported_layer', msg: string): never {
    throw new EngineError(code, `node '${this.at}' (${this.opType}): ${msg}`);
  }

  unique(raw: string): string {
    const base = raw.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[_.-]+|[_.-]+$/g, '') || 'node';
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, irShape: number[], shape: number[], p: number[]): Val {
    const ir = this.unique(name);
    this.irShapes.set(ir, irShape);
    return { kind: 'v', ir, shape, p };
  }

  /** Adds an IR node reading `inputs` (already in the layout the op needs); its output keeps layout `p`. */
  emit(op: Op, inputs: Val[], p: number[], weights: Partial<Record<WeightRole, Weight>> = {}): Val {
    const name = this.unique(this.at);
    const node: Node = { name, className: this.opType, op, inputs: inputs.map((v) => v.ir) };
    const r = nodeShapes(node, inputs.map((v) => this.irShapes.get(v.ir)!));
    for (const s of r.slots) {
      const w = weights[s.role];
      if (!w || !sameArr(w.shape, s.shape)) this.fail('invalid_model', `expected weight ${s.role} of shape [${s.shape}], got ${w ? `[${w.shape}]` : 'none'}`);
      this.weights.set(s.key, w);
    }
    this.nodes.push(node);
    this.irShapes.set(name, r.output);
    const ir = [1, ...r.output];
    const shape: number[] = new Array(ir.length);
    p.forEach((onnxAxis, i) => (shape[onnxAxis] = ir[i]!));
    return { kind: 'v', ir: name, shape, p };
  }

  /** `v` in layout q (a permute node when it differs). */
  toLayout(v: Val, q: number[]): Val {
    const w = this.plain(v);
    if (sameArr(w.p, q)) return w;
    expect(w.p[0] === 0 && q[0] === 0, 'unsupported_layer', `node '${this.at}' (${this.opType}): expected the batch axis to stay first, got a transpose moving it`);
    return this.emit({ type: 'permute', dims: q.slice(1).map((a) => w.p.indexOf(a)) }, [w], q);
  }

  /** A flattened NCHW tensor in ONNX feature order, for consumers other than a matrix product. */
  plain(v: Val): Val {
    if (!v.rows) return v;
    const src = this.toLayout(v.rows.src, identity(v.rows.src.shape.length));
    return this.emit({ type: 'flatten' }, [src], [0, 1]);
  }

  /** Flatten from axis 1: NCHW features come out as HWC in IR order; `rows` records the permutation. */
  flatten(v0: Val): Val {
    const v = this.plain(v0);
    if (v.shape.length === 2) return v;
    const out = this.emit({ type: 'flatten' }, [v], [0, 1]);
    const r = v.shape.length;
    const irDims = v.p.slice(1).map((a) => v.shape[a]!);
    const strides = new Array<number>(r).fill(1);
    for (let a = r - 2; a >= 1; a--) strides[a] = strides[a + 1]! * v.shape[a + 1]!;
    const n = out.shape[1]!;
    const perm = new Int32Array(n);
    const idx = new Array<number>(irDims.length).fill(0);
    let moved = false;
    for (let f = 0; f < n; f++) {
      let o = 0;
      for (let i = 0; i < idx.length; i++) o += idx[i]! * strides[v.p[i + 1]!]!;
      perm[f] = o;
      moved ||= o !== f;
      for (let i = idx.length - 1; i >= 0; i--) if (++idx[i]! < irDims[i]!) break; else idx[i] = 0;
    }
    return moved ? { ...out, rows: { perm, src: v } } : out;
  }

  get(name: string): Entry {
    const e = this.env.get(name);
    if (!e) this.fail('invalid_model', `expected input '${name}' to be made by an earlier node, an initializer or the graph input, got none`);
    return e;
  }

  val(name: string): Val {
    const e = this.get(name);
    if (e.kind === 'q') this.fail('unsupported_layer', `expected QuantizeLinear output '${name}' to feed a DequantizeLinear, got ${this.opType}`);
    if (e.kind === 'c') this.fail('unsupported_layer', `expected input '${name}' to depend on the image, got a constant`);
    return this.plain(e);
  }

  const(name: string, what: string): CVal {
    const e = this.env.get(name);
    if (!e || e.kind !== 'c') this.fail('unsupported_layer', `expected ${what} ('${name}') to be a constant (an initializer or folded from constants), got ${e ? 'a tensor computed from the image' : 'nothing'}`);
    return e;
  }

  optConst(name: string | undefined, what: string): CVal | null {
    return name ? this.const(name, what) : null;
  }

  /** A constant broadcast against v as one value or one per IR last-axis channel (in channel order). */
  perChannel(c: Const, v: Val, what: string): number[] {
    const r = v.shape.length;
    const ch = v.p[r - 1]!;
    const cs = [...new Array<number>(Math.max(0, r - c.shape.length)).fill(1), ...c.shape];
    const ok = cs.length === r && cs.every((d, k) => d === 1 || (k === ch && d === v.shape[k]));
    if (!ok) this.fail('unsupported_layer', `expected ${what} to be a scalar or one value per channel (axis ${ch} of [${v.shape}]), got shape [${c.shape}]`);
    return Array.from(c.data);
  }
}
