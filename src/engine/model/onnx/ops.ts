// The op table: each supported ONNX op folds constants or emits IR nodes in the engine's NHWC layout. Any other op
// is refused by name with this list (SUPPORTED_ONNX_OPS).
import type { Act, Pad2D } from '../ir';
import type { NodeProto } from './proto.js';
import { DT, tensorOf, type Attrs, type Const } from './decode';
import { canonical, type CVal, type Ctx, type Entry, type Val, type Weight } from './context';
import * as F from './fold';

type Handler = (cx: Ctx, n: NodeProto, a: Attrs) => Entry;
const c = (k: Const): CVal => ({ ...k, kind: 'c' });
const f32 = (k: Const, shape = k.shape): Weight => ({ data: Float32Array.from(k.data), shape, storedAs: k.storedAs });
const size = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);

/** [O, I/g, kh, kw] -> [kh, kw, I/g, O]. */
function hwio(w: Const): Float32Array {
  const [o, ig, kh, kw] = w.shape as [number, number, number, number];
  const out = new Float32Array(w.data.length);
  for (let a = 0; a < o; a++) for (let i = 0; i < ig; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    out[((y * kw + x) * ig + i) * o + a] = w.data[((a * ig + i) * kh + y) * kw + x]!;
  }
  return out;
}

/** ONNX pads [t, l, b, r] / auto_pad -> the IR's [t, b, l, r] or TF's rules (SAME_UPPER is TF 'same'). */
function pads(cx: Ctx, a: Attrs, x: Val, k: number[], s: number[], d: number[]): Pad2D {
  const auto = a.string('auto_pad', 'NOTSET');
  if (auto === 'VALID') return 'valid';
  if (auto === 'SAME_UPPER') return 'same';
  if (auto === 'SAME_LOWER') {
    const sp = [x.shape[2]!, x.shape[3]!].map((n, i) => Math.max((Math.ceil(n / s[i]!) - 1) * s[i]! + (k[i]! - 1) * d[i]! + 1 - n, 0));
    return [Math.ceil(sp[0]! / 2), Math.floor(sp[0]! / 2), Math.ceil(sp[1]! / 2), Math.floor(sp[1]! / 2)];
  }
  if (auto !== 'NOTSET') cx.fail('unsupported_layer', `expected auto_pad NOTSET, VALID, SAME_UPPER or SAME_LOWER, got ${auto}`);
  const p = a.ints('pads', [0, 0, 0, 0]);
  if (p.length !== 4) cx.fail('unsupported_layer', `expected 4 pads of a 2-D window, got [${p}]`);
  return [p[0]!, p[2]!, p[1]!, p[3]!];
}

function image(cx: Ctx, name: string): Val {
  const v = cx.val(name);
  if (v.shape.length !== 4) cx.fail('unsupported_layer', `expected a 4-D NCHW input (2-D windows only), got shape [${v.shape}]`);
  return cx.toLayout(v, canonical(4));
}

function conv(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const x = image(cx, n.input[0]!);
  const w = cx.const(n.input[1]!, 'the weight');
  const b = cx.optConst(n.input[2], 'the bias');
  if (w.shape.length !== 4) cx.fail('unsupported_layer', `expected a 2-D convolution weight [O, I/g, kh, kw], got [${w.shape}]`);
  const [o, ig, kh, kw] = w.shape as [number, number, number, number];
  const g = a.int('group', 1);
  const cin = x.shape[1]!;
  if (ig * g !== cin || o % g !== 0) cx.fail('invalid_model', `expected weight [O, ${cin}/${g}, kh, kw] for ${cin} channels in ${g} groups, got [${w.shape}]`);
  const kernel: [number, number] = [kh, kw];
  const strides = a.ints('strides', [1, 1]) as [number, number];
  const dilations = a.ints('dilations', [1, 1]) as [number, number];
  const padding = pads(cx, a, x, kernel, strides, dilations);
  const bias = b ? { bias: f32(b, [o]) } : {};
  const common = { kernel, strides, dilations, padding, useBias: !!b, act: { fn: 'linear' } as Act };
  if (g > 1 && g === cin) {
    const m = o / cin;
    return cx.emit({ type: 'depthwise', multiplier: m, ...common }, [x], canonical(4), { depthwise_kernel: { data: hwio(w), shape: [kh, kw, cin, m], storedAs: w.storedAs }, ...bias });
  }
  return cx.emit({ type: 'conv2d', filters: o, groups: g, ...common }, [x], canonical(4), { kernel: { data: hwio(w), shape: [kh, kw, ig, o], storedAs: w.storedAs }, ...bias });
}

/** x @ K (+ bias) with K [in, out] in ONNX row order; a flattened NCHW input has its rows permuted instead. */
function dense(cx: Ctx, name: string, k: Const, bias: Float32Array | null): Entry {
  const e = cx.get(name);
  if (e.kind !== 'v') return cx.val(name);
  let x: Val = e;
  let data = Float32Array.from(k.data);
  const [kin, units] = k.shape as [number, number];
  if (x.rows) {
    const rows = x.rows.perm;
    const p = new Float32Array(data.length);
    for (let r = 0; r < kin; r++) p.set(data.subarray(rows[r]! * units, rows[r]! * units + units), r * units);
    data = p;
  } else {
    const r = x.shape.length;
    if (x.p[r - 1] !== r - 1) x = cx.toLayout(x, x.p.map((_, i) => i));
  }
  if (x.shape[x.shape.length - 1] !== kin) cx.fail('invalid_model', `expected the input's last axis to be ${kin}, got [${x.shape}]`);
  const w = { kernel: { data, shape: [kin, units], storedAs: k.storedAs }, ...(bias ? { bias: { data: bias, shape: [units], storedAs: 'float32' as const } } : {}) };
  return cx.emit({ type: 'dense', units, useBias: !!bias, act: { fn: 'linear' } }, [{ ...x, rows: undefined }], x.rows ? [0, 1] : x.p, w);
}

function gemm(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  if (a.int('transA', 0)) cx.fail('unsupported_layer', 'expected transA = 0, got 1');
  let b: Const = cx.const(n.input[1]!, 'B (the weight)');
  if (b.shape.length !== 2) cx.fail('unsupported_layer', `expected a 2-D weight, got [${b.shape}]`);
  if (a.int('transB', 0)) b = { ...F.transpose(b, [1, 0]), storedAs: b.storedAs };
  const alpha = a.float('alpha', 1), beta = a.float('beta', 1);
  if (alpha !== 1) b = { ...b, data: b.data.map((v) => v * alpha) };
  const cc = cx.optConst(n.input[2], 'C (the bias)');
  let bias: Float32Array | null = null;
  if (cc) {
    const units = b.shape[1]!;
    if (size(cc.shape) !== units && size(cc.shape) !== 1) cx.fail('unsupported_layer', `expected C of ${units} values or a scalar, got [${cc.shape}]`);
    bias = Float32Array.from({ length: units }, (_, i) => beta * cc.data[cc.data.length === 1 ? 0 : i]!);
  }
  return dense(cx, n.input[0]!, b, bias);
}

function arith(mode: 'add' | 'sub' | 'mul' | 'div'): Handler {
  const fn = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y }[mode];
  return (cx: Ctx, n: NodeProto) => {
    const [ea, eb] = [cx.get(n.input[0]!), cx.get(n.input[1]!)];
    if (ea.kind === 'c' && eb.kind === 'c') {
      const r = F.binary(ea, eb, fn);
      if (!r) cx.fail('invalid_model', `expected broadcastable shapes, got [${ea.shape}] and [${eb.shape}]`);
      return c(ea.dtype !== DT.FLOAT && eb.dtype !== DT.FLOAT && mode === 'div' ? { ...r, data: r.data.map(Math.trunc) } : r);
    }
    if (ea.kind !== 'c' && eb.kind !== 'c') {
      if (mode === 'div') cx.fail('unsupported_layer', 'expected a constant divisor, got a tensor');
      const x = cx.val(n.input[0]!);
      const y = cx.val(n.input[1]!);
      if (x.shape.length !== y.shape.length) cx.fail('unsupported_layer', `expected inputs of the same rank, got [${x.shape}] and [${y.shape}]`);
      return cx.emit({ type: 'merge', mode: mode as 'add' | 'sub' | 'mul' }, [x, cx.toLayout(y, x.p)], x.p);
    }
    const constFirst = ea.kind === 'c';
    const x = cx.val(n.input[constFirst ? 1 : 0]!);
    const k = cx.perChannel(constFirst ? (ea as Const) : (eb as Const), x, 'the constant operand');
    const one = k.map(() => 1), zero = k.map(() => 0);
    const op = mode === 'add' ? { scale: one, offset: k }
      : mode === 'mul' ? { scale: k, offset: zero }
      : mode === 'sub' ? (constFirst ? { scale: k.map(() => -1), offset: k } : { scale: one, offset: k.map((v) => -v) })
      : constFirst ? cx.fail('unsupported_layer', 'expected a constant divisor, got a constant divided by a tensor') : { scale: k.map((v) => 1 / v), offset: zero };
    return cx.emit({ type: 'affine', ...op }, [x], x.p);
  };
}

const act = (fn: Act): Handler => (cx, n) => { const x = cx.val(n.input[0]!); return cx.emit({ type: 'act', act: fn }, [x], x.p); };

function clip(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const x = cx.val(n.input[0]!);
  const scalar = (i: number, attr: string, d: number) => {
    if (cx.opset < 11) return a.float(attr, d);
    const k = cx.optConst(n.input[i] || undefined, attr);
    return k ? k.data[0]! : d;
  };
  const lo = scalar(1, 'min', -Infinity), hi = scalar(2, 'max', Infinity);
  if (lo === 0 && hi === 6) return cx.emit({ type: 'act', act: { fn: 'relu6' } }, [x], x.p);
  if (lo === -Infinity && hi === Infinity) return x;
  if (lo === -Infinity) {
    // min(x, hi) = hi - relu(hi - x).
    const t = cx.emit({ type: 'affine', scale: [-1], offset: [hi] }, [x], x.p);
    const r = cx.emit({ type: 'act', act: { fn: 'relu' } }, [t], x.p);
    return cx.emit({ type: 'affine', scale: [-1], offset: [hi] }, [r], x.p);
  }
  const shifted = lo === 0 ? x : cx.emit({ type: 'affine', scale: [1], offset: [-lo] }, [x], x.p);
  const r = cx.emit({ type: 'act', act: { fn: 'reluX', max: hi === Infinity ? null : hi - lo, slope: 0, threshold: 0 } }, [shifted], x.p);
  return lo === 0 ? r : cx.emit({ type: 'affine', scale: [1], offset: [lo] }, [r], x.p);
}

function hardSigmoid(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const x = cx.val(n.input[0]!);
  const alpha = a.float('alpha', 0.2), beta = a.float('beta', 0.5);
  if (Math.abs(alpha - 0.2) < 1e-7 && beta === 0.5) return cx.emit({ type: 'act', act: { fn: 'hardSigmoid', keras3: false } }, [x], x.p);
  const t = cx.emit({ type: 'affine', scale: [alpha], offset: [beta] }, [x], x.p);
  return cx.emit({ type: 'act', act: { fn: 'reluX', max: 1, slope: 0, threshold: 0 } }, [t], x.p);
}

function softmax(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  let x = cx.val(n.input[0]!);
  const r = x.shape.length;
  const ax0 = a.int('axis', cx.opset >= 13 ? -1 : 1);
  const axis = ax0 < 0 ? ax0 + r : ax0;
  if (cx.opset < 13 && axis !== r - 1) cx.fail('unsupported_layer', `expected softmax over the last axis, got axis ${ax0} of rank ${r}`);
  if (x.p[r - 1] !== axis) x = cx.toLayout(x, [...x.p.filter((p) => p !== axis), axis]);
  return cx.emit({ type: 'act', act: { fn: 'softmax' } }, [x], x.p);
}

function prelu(cx: Ctx, n: NodeProto): Entry {
  const x = cx.val(n.input[0]!);
  const k = cx.perChannel(cx.const(n.input[1]!, 'the slope'), x, 'the slope');
  const r = x.shape.length;
  const shared = Array.from({ length: r - (k.length === 1 ? 1 : 2) }, (_, i) => i + 1);
  const shape = Array.from({ length: r - 1 }, (_, i) => (shared.includes(i + 1) ? 1 : k.length));
  return cx.emit({ type: 'prelu', sharedAxes: shared }, [x], x.p, { alpha: { data: Float32Array.from(k), shape, storedAs: 'float32' } });
}

function batchNorm(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  let x = cx.val(n.input[0]!);
  const r = x.shape.length;
  if (x.p[r - 1] !== 1) x = cx.toLayout(x, canonical(r).length === 4 ? canonical(4) : [...x.p.filter((p) => p !== 1), 1]);
  const w = (i: number, what: string) => f32(cx.const(n.input[i]!, what), [x.shape[1]!]);
  return cx.emit({ type: 'batchNorm', epsilon: a.float('epsilon', 1e-5), center: true, scale: true }, [x], x.p,
    { gamma: w(1, 'scale'), beta: w(2, 'B'), moving_mean: w(3, 'mean'), moving_variance: w(4, 'var') });
}

function pool(mode: 'max' | 'avg'): Handler {
  return (cx, n, a) => {
    const x = image(cx, n.input[0]!);
    const size2 = a.ints('kernel_shape', []) as [number, number];
    const strides = a.ints('strides', [1, 1]) as [number, number];
    if (size2.length !== 2) cx.fail('unsupported_layer', `expected a 2-D kernel_shape, got [${size2}]`);
    if (a.ints('dilations', [1, 1]).some((d) => d !== 1)) cx.fail('unsupported_layer', 'expected pool dilations 1, got more');
    let padding = pads(cx, a, x, size2, strides, [1, 1]);
    if (Array.isArray(padding) && a.int('ceil_mode', 0)) {
      const [t, b, l, r] = padding;
      const ceil = [x.shape[2]! + t + b, x.shape[3]! + l + r].every((m, i) => (m - size2[i]!) % strides[i]! === 0);
      if (!ceil) cx.fail('unsupported_layer', 'expected ceil_mode 0 (or a window that fits exactly), got ceil_mode 1');
    }
    if (mode === 'avg' && Array.isArray(padding) && padding.some((p) => p) && !a.int('count_include_pad', 0)) {
      const same = pads(cx, { ...a, string: (k: string, d: string) => (k === 'auto_pad' ? 'SAME_LOWER' : a.string(k, d)) }, x, size2, strides, [1, 1]) as number[];
      const upper = [same[1], same[0], same[3], same[2]];
      if (!padding.every((p, i) => p === upper[i])) cx.fail('unsupported_layer', `expected count_include_pad = 1, or pads TF's 'same' rule makes, got pads [${padding}] without counting them`);
      padding = 'same';
    }
    if (mode === 'max' && Array.isArray(padding) && nonNegative(cx, x)) {
      // After a ReLU, zero pads never win a max either: a ZeroPadding2D + valid pool that Keras can save.
      const padded = cx.emit({ type: 'pad', pads: padding }, [x], canonical(4));
      return cx.emit({ type: 'pool', mode, size: size2, strides, padding: 'valid' }, [padded], canonical(4));
    }
    return cx.emit({ type: 'pool', mode, size: size2, strides, padding }, [x], canonical(4));
  };
}

function nonNegative(cx: Ctx, x: Val): boolean {
  const op = cx.nodes.find((n) => n.name === x.ir)?.op;
  const a = op && 'act' in op ? op.act : null;
  return !!a && (a.fn === 'relu' || a.fn === 'relu6' || a.fn === 'sigmoid' || (a.fn === 'reluX' && a.slope === 0 && a.threshold >= 0));
}

const globalPool = (mode: 'max' | 'avg'): Handler => (cx, n) => cx.emit({ type: 'globalPool', mode, keepdims: true }, [image(cx, n.input[0]!)], canonical(4));

function flatten(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const e = cx.get(n.input[0]!);
  const axis = a.int('axis', 1);
  if (e.kind === 'c') return c({ ...e, shape: [size(e.shape.slice(0, axis)), size(e.shape.slice(axis))] });
  if (axis !== 1) cx.fail('unsupported_layer', `expected Flatten from axis 1 (after the batch), got axis ${axis}`);
  return cx.flatten(e as Val);
}

function reshape(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const e = cx.get(n.input[0]!);
  const target = Array.from(cx.const(n.input[1]!, 'the target shape').data);
  const from = e.kind === 'q' ? e.x.shape : e.shape;
  const t = F.reshapeTarget(e.kind === 'c' ? from : [1, ...from.slice(1)], e.kind === 'c' ? target : [1, ...target.slice(1)], !!a.int('allowzero', 0));
  if (!t) cx.fail('invalid_model', `expected a target shape for [${from}], got [${target}]`);
  if (e.kind === 'c') return c({ ...e, shape: t });
  const v = e as Val;
  if (t.length === 2) return cx.flatten(v);
  const x = cx.toLayout(v, v.p.map((_, i) => i));
  return cx.emit({ type: 'reshape', shape: t.slice(1) }, [x], t.map((_, i) => i));
}

function transpose(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const e = cx.get(n.input[0]!);
  const r = e.kind === 'c' ? e.shape.length : cx.val(n.input[0]!).shape.length;
  const perm = a.ints('perm', Array.from({ length: r }, (_, i) => r - 1 - i));
  if (e.kind === 'c') return c(F.transpose(e, perm));
  const v = cx.val(n.input[0]!);
  if (perm[0] !== 0) cx.fail('unsupported_layer', `expected a transpose that keeps the batch axis first, got perm [${perm}]`);
  // No node: the IR tensor stays, only its ONNX meaning (the layout) changes.
  return { kind: 'v', ir: v.ir, shape: perm.map((p) => v.shape[p]!), p: v.p.map((q) => perm.indexOf(q)) };
}

function axesOf(cx: Ctx, n: NodeProto, a: Attrs): number[] | null {
  if (cx.opset >= 13 && n.input[1]) return Array.from(cx.const(n.input[1], 'the axes').data);
  return a.has('axes') ? a.ints('axes', []) : null;
}

const squeezeLike = (un: boolean): Handler => (cx, n, a) => {
  const e = cx.get(n.input[0]!);
  const axes = axesOf(cx, n, a);
  if (un && !axes) cx.fail('invalid_model', 'expected axes, got none');
  const from = e.kind === 'c' ? e.shape : cx.val(n.input[0]!).shape;
  const shape = un ? F.unsqueezeShape(from, axes!) : F.squeezeShape(from, axes);
  if (size(shape) !== size(from)) cx.fail('invalid_model', `expected to squeeze axes of size 1, got shape [${from}] and axes [${axes}]`);
  if (e.kind === 'c') return c({ ...e, shape });
  const v = cx.val(n.input[0]!);
  if (shape[0] !== v.shape[0] || (un && axes!.some((x) => x === 0))) cx.fail('unsupported_layer', 'expected the batch axis to stay first, got it squeezed or moved');
  if (shape.length === 2) return cx.flatten(v);
  const x = cx.toLayout(v, v.p.map((_, i) => i));
  return cx.emit({ type: 'reshape', shape: shape.slice(1) }, [x], shape.map((_, i) => i));
};

function concat(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const es = n.input.map((i) => cx.get(i));
  const axis = a.int('axis', 0);
  if (es.every((e) => e.kind === 'c')) return c(F.concat(es as Const[], axis));
  const xs = n.input.map((i) => cx.val(i));
  const r = xs[0]!.shape.length;
  const p = canonical(r);
  const ax = axis < 0 ? axis + r : axis;
  if (ax === 0) cx.fail('unsupported_layer', 'expected a concat that is not along the batch axis, got axis 0');
  return cx.emit({ type: 'concat', axis: p.indexOf(ax) - 1 }, xs.map((x) => cx.toLayout(x, p)), p);
}

function pad(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const mode = a.string('mode', 'constant');
  if (mode !== 'constant') cx.fail('unsupported_layer', `expected Pad mode 'constant', got '${mode}'`);
  const p = cx.opset >= 11 ? Array.from(cx.const(n.input[1]!, 'the pads').data) : a.ints('pads', []);
  const value = cx.opset >= 11 ? (cx.optConst(n.input[2] || undefined, 'the constant value')?.data[0] ?? 0) : a.float('value', 0);
  if (value !== 0) cx.fail('unsupported_layer', `expected padding with zeros, got ${value}`);
  const x = image(cx, n.input[0]!);
  if (p.length !== 8 || p[0] || p[1] || p[4] || p[5]) cx.fail('unsupported_layer', `expected pads on the two spatial axes of an NCHW tensor, got [${p}]`);
  return cx.emit({ type: 'pad', pads: [p[2]!, p[6]!, p[3]!, p[7]!] }, [x], canonical(4));
}

function quantizeLinear(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const e = cx.get(n.input[0]!);
  const scale = cx.const(n.input[1]!, 'the scale');
  const zp = cx.optConst(n.input[2] || undefined, 'the zero point');
  if (zp && zp.dtype !== DT.INT8 && zp.dtype !== DT.UINT8) cx.fail('unsupported_layer', `expected an int8 or uint8 zero point, got data type ${zp.dtype}`);
  if (e.kind === 'c') return c(F.quantize(e, scale, zp, a.int('axis', 1)));
  return { kind: 'q', x: cx.val(n.input[0]!), scale, zp, axis: a.int('axis', 1) };
}

function dequantizeLinear(cx: Ctx, n: NodeProto, a: Attrs): Entry {
  const e = cx.get(n.input[0]!);
  const scale = cx.const(n.input[1]!, 'the scale');
  const zp = cx.optConst(n.input[2] || undefined, 'the zero point');
  if (e.kind === 'c') {
    if (![DT.INT8, DT.UINT8, DT.INT32].includes(e.dtype as 3)) cx.fail('unsupported_layer', `expected int8, uint8 or int32 data to dequantize, got data type ${e.dtype}`);
    return c(F.dequantize(e, scale, zp, a.int('axis', 1)));
  }
  if (e.kind !== 'q') cx.fail('unsupported_layer', 'expected DequantizeLinear of a constant or of a QuantizeLinear, got another tensor');
  const x = e.x;
  const per = (k: Const | null, what: string, d: number) => (k ? (size(k.shape) === 1 ? [k.data[0]!] : cx.perChannel({ ...k, shape: x.shape.map((s, i) => (i === (e.axis < 0 ? e.axis + x.shape.length : e.axis) ? s : 1)) }, x, what)) : [d]);
  const [qmin, qmax] = e.zp?.dtype === DT.INT8 ? [-128, 127] : [0, 255];
  const scales = per(e.scale, 'the scale', 1), zps = per(e.zp, 'the zero point', 0);
  return cx.emit({ type: 'fakeQuant', scale: scales, zeroPoint: zps, qmin, qmax }, [x], x.p);
}

function alias(cx: Ctx, n: NodeProto): Entry {
  return cx.get(n.input[0]!);
}

export const OPS: Record<string, Handler> = {
  Conv: conv, Gemm: gemm,
  MatMul: (cx, n) => dense(cx, n.input[0]!, cx.const(n.input[1]!, 'the weight (B)'), null),
  Add: arith('add'), Sub: arith('sub'), Mul: arith('mul'), Div: arith('div'),
  Relu: act({ fn: 'relu' }), Sigmoid: act({ fn: 'sigmoid' }), Tanh: act({ fn: 'tanh' }), HardSwish: act({ fn: 'hardSwish' }),
  LeakyRelu: (cx, n, a) => act({ fn: 'leaky', alpha: a.float('alpha', 0.01) })(cx, n, a),
  Clip: clip, HardSigmoid: hardSigmoid, Softmax: softmax, PRelu: prelu, BatchNormalization: batchNorm,
  MaxPool: pool('max'), AveragePool: pool('avg'), GlobalAveragePool: globalPool('avg'), GlobalMaxPool: globalPool('max'),
  Flatten: flatten, Reshape: reshape, Transpose: transpose, Squeeze: squeezeLike(false), Unsqueeze: squeezeLike(true),
  Concat: concat, Pad: pad, Identity: alias, Dropout: alias,
  Constant: (cx: Ctx, n: NodeProto, a: Attrs) => {
    const t = a.tensor('value');
    if (!t) cx.fail('unsupported_layer', `expected a Constant with a tensor 'value', got attributes [${a.names()}]`);
    return c(tensorOf(t, `the value of Constant '${cx.at}'`, new Map()));
  },
  Shape: (cx, n) => {
    const e = cx.get(n.input[0]!);
    const s = e.kind === 'q' ? e.x.shape : e.shape;
    return c(F.make([s.length], s, DT.INT64));
  },
  Gather: (cx: Ctx, n: NodeProto, a: Attrs) => {
    const d = cx.const(n.input[0]!, 'the data'), i = cx.const(n.input[1]!, 'the indices');
    const r = F.gather(d, i, a.int('axis', 0));
    if (r.shape[0] === -1) cx.fail('invalid_model', `expected indices within [${d.shape}], got [${Array.from(i.data)}]`);
    return c(r);
  },
  Cast: (cx, n, a) => {
    const e = cx.get(n.input[0]!);
    const to = a.int('to', DT.FLOAT);
    if (e.kind !== 'c') return to === DT.FLOAT ? cx.val(n.input[0]!) : cx.fail('unsupported_layer', `expected a Cast of the image path to float, got type ${to}`);
    return c(F.make(e.shape, to === DT.FLOAT ? e.data : e.data.map(Math.trunc), to));
  },
  QuantizeLinear: quantizeLinear, DequantizeLinear: dequantizeLinear,
  ReduceMean: (cx: Ctx, n: NodeProto, a: Attrs) => {
    const axes = (cx.opset >= 18 && n.input[1] ? Array.from(cx.const(n.input[1], 'the axes').data) : a.ints('axes', [])).map((x) => (x < 0 ? x + 4 : x));
    if (axes.length !== 2 || !axes.includes(2) || !axes.includes(3)) cx.fail('unsupported_layer', `expected a mean over the spatial axes [2, 3] of an NCHW tensor, got axes [${axes}]`);
    const x = image(cx, n.input[0]!);
    const keep = !!a.int('keepdims', 1);
    return cx.emit({ type: 'globalPool', mode: 'avg', keepdims: keep }, [x], keep ? canonical(4) : [0, 1]);
  },
  ConstantOfShape: (cx: Ctx, n: NodeProto, a: Attrs) => {
    const shape = Array.from(cx.const(n.input[0]!, 'the shape').data);
    if (size(shape) > 1 << 16) cx.fail('invalid_model', `expected a small constant, got shape [${shape}]`);
    const t = a.tensor('value');
    const v = t ? tensorOf(t, `the value of '${cx.at}'`, new Map()) : null;
    return c(F.make(shape, new Array<number>(size(shape)).fill(v ? v.data[0]! : 0), v ? v.dtype : DT.FLOAT));
  },
  Slice: (cx: Ctx, n: NodeProto) => {
    const d = cx.const(n.input[0]!, 'the data of a Slice (only constants are sliced)');
    const get = (i: number) => (n.input[i] ? Array.from(cx.const(n.input[i]!, 'a Slice parameter').data) : null);
    const r = F.slice(d, get(1)!, get(2)!, get(3), get(4));
    if (!r) cx.fail('unsupported_layer', 'expected a Slice with steps of 1 or -1 on a constant, got another');
    return c(r);
  },
};

export const SUPPORTED_ONNX_OPS = Object.keys(OPS).sort();
