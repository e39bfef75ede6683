// Shape inference over the graph IR: each node's output shape, the weight tensors (slots) it expects and its
// multiply-adds per sample. Every check names the node and says "expected X, got Y".
import { EngineError, expect } from '../errors';
import type { Node, Op, Pad2D, WeightRole } from './ir';

export interface WeightSlot {
  /** `${node}/${role}`, the key in Model.weights. */
  key: string;
  node: string;
  role: WeightRole;
  shape: number[];
}

export interface NodeShapes {
  output: number[];
  slots: WeightSlot[];
  /** Multiply-adds per sample (convolutions and matrix products; elementwise work is not counted). */
  macs: number;
}

export const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

function fail(node: Node, what: string): never {
  throw new EngineError('invalid_model', `node '${node.name}' (${node.className}): ${what}`);
}

/** Output size along one axis under TensorFlow's padding rules (Keras, tfjs) or explicit pads. */
function windowOut(n: number, k: number, s: number, d: number, pad: Pad2D, before: number, after: number): number {
  const eff = (k - 1) * d + 1;
  if (pad === 'same') return Math.ceil(n / s);
  if (pad === 'valid') return Math.ceil((n - eff + 1) / s);
  return Math.floor((n + before + after - eff) / s) + 1;
}

function spatial(node: Node, input: number[], k: [number, number], s: [number, number], d: [number, number], pad: Pad2D, c: number): number[] {
  if (input.length !== 3) fail(node, `expected a [height, width, channels] input, got ${fmt(input)}`);
  const p = Array.isArray(pad) ? pad : [0, 0, 0, 0];
  const h = windowOut(input[0]!, k[0], s[0], d[0], pad, p[0]!, p[1]!);
  const w = windowOut(input[1]!, k[1], s[1], d[1], pad, p[2]!, p[3]!);
  if (!(h > 0 && w > 0)) fail(node, `expected the input ${fmt(input)} to be at least the window ${k[0]}x${k[1]}, got a smaller one`);
  return [h, w, c];
}

function reshapeOut(node: Node, target: number[], input: number[]): number[] {
  const n = product(input);
  const unknown = target.filter((d) => d === -1).length;
  const known = product(target.filter((d) => d !== -1));
  const ok = unknown <= 1 && known > 0 && (unknown ? n % known === 0 : n === known);
  if (!ok) fail(node, `expected target shape ${fmt(target)} to hold ${n} elements (input ${fmt(input)}), got a mismatch`);
  return target.map((d) => (d === -1 ? n / known : d));
}

/** Numpy broadcasting of the inputs of a merge (Keras allows equal shapes; ONNX broadcasts). */
function broadcast(node: Node, shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = shapes.map((s) => s[s.length - rank + i] ?? 1);
    const big = Math.max(...dims);
    if (dims.some((d) => d !== 1 && d !== big)) fail(node, `expected inputs of broadcastable shapes, got ${shapes.map(fmt).join(' and ')}`);
    out.push(big);
  }
  return out;
}

const slot = (node: Node, role: WeightRole, shape: number[]): WeightSlot => ({ key: `${node.name}/${role}`, node: node.name, role, shape });

function channelsOf(node: Node, input: number[]): number {
  if (!input.length) fail(node, 'expected an input with a channel axis, got a scalar');
  return input[input.length - 1]!;
}

type Result = Omit<NodeShapes, 'macs'> & { macs?: number };

function convLike(node: Node, op: Extract<Op, { type: 'conv2d' | 'depthwise' | 'separable' }>, x: number[]): Result {
  const cin = channelsOf(node, x);
  if (op.type === 'conv2d') {
    if (cin % op.groups !== 0 || op.filters % op.groups !== 0) fail(node, `expected groups ${op.groups} to divide the ${cin} input channels and ${op.filters} filters, got a remainder`);
    const output = spatial(node, x, op.kernel, op.strides, op.dilations, op.padding, op.filters);
    const slots = [slot(node, 'kernel', [...op.kernel, cin / op.groups, op.filters]), ...(op.useBias ? [slot(node, 'bias', [op.filters])] : [])];
    return { output, slots, macs: product(output) * op.kernel[0] * op.kernel[1] * (cin / op.groups) };
  }
  const mid = cin * op.multiplier;
  const filters = op.type === 'separable' ? op.filters : mid;
  const output = spatial(node, x, op.kernel, op.strides, op.dilations, op.padding, filters);
  const pix = output[0]! * output[1]!;
  const slots = [slot(node, 'depthwise_kernel', [...op.kernel, cin, op.multiplier])];
  if (op.type === 'separable') slots.push(slot(node, 'pointwise_kernel', [1, 1, mid, op.filters]));
  if (op.useBias) slots.push(slot(node, 'bias', [filters]));
  const macs = pix * mid * op.kernel[0] * op.kernel[1] + (op.type === 'separable' ? pix * mid * op.filters : 0);
  return { output, slots, macs };
}

function opShapes(node: Node, ins: number[][]): Result {
  const op = node.op;
  const x = ins[0]!;
  const same = { output: x, slots: [] };
  switch (op.type) {
    case 'conv2d':
    case 'depthwise':
    case 'separable':
      return convLike(node, op, x);
    case 'dense': {
      const cin = channelsOf(node, x);
      const output = [...x.slice(0, -1), op.units];
      const slots = [slot(node, 'kernel', [cin, op.units]), ...(op.useBias ? [slot(node, 'bias', [op.units])] : [])];
      return { output, slots, macs: product(output) * cin };
    }
    case 'pool':
      return { output: spatial(node, x, op.size, op.strides, [1, 1], op.padding, x[2] ?? 0), slots: [] };
    case 'globalPool':
      if (x.length !== 3) fail(node, `expected a [height, width, channels] input, got ${fmt(x)}`);
      return { output: op.keepdims ? [1, 1, x[2]!] : [x[2]!], slots: [] };
    case 'pad':
    case 'crop': {
      if (x.length !== 3) fail(node, `expected a [height, width, channels] input, got ${fmt(x)}`);
      const [t, b, l, r] = op.type === 'pad' ? op.pads : op.crop.map((v) => -v);
      const output = [x[0]! + t! + b!, x[1]! + l! + r!, x[2]!];
      if (!(output[0]! > 0 && output[1]! > 0)) fail(node, `expected a crop smaller than the input ${fmt(x)}, got [${op.type === 'crop' ? op.crop : op.pads}]`);
      return { output, slots: [] };
    }
    case 'act':
    case 'identity':
      return same;
    case 'fakeQuant': {
      const c = channelsOf(node, x);
      for (const v of [op.scale, op.zeroPoint]) if (v.length !== 1 && v.length !== c) fail(node, `expected 1 or ${c} (channel) quantization parameters, got ${v.length}`);
      return same;
    }
    case 'prelu': {
      const shape = x.map((d, i) => (op.sharedAxes.includes(i + 1) ? 1 : d));
      return { output: x, slots: [slot(node, 'alpha', shape)] };
    }
    case 'batchNorm':
    case 'layerNorm': {
      const c = [channelsOf(node, x)];
      const roles: WeightRole[] = [...(op.scale ? ['gamma' as const] : []), ...(op.center ? ['beta' as const] : [])];
      if (op.type === 'batchNorm') roles.push('moving_mean', 'moving_variance');
      return { output: x, slots: roles.map((r) => slot(node, r, c)) };
    }
    case 'affine': {
      const c = channelsOf(node, x);
      for (const v of [op.scale, op.offset]) if (v.length !== 1 && v.length !== c) fail(node, `expected 1 or ${c} (channel) values, got ${v.length}`);
      return same;
    }
    case 'normalize': {
      const c = [channelsOf(node, x)];
      return { output: x, slots: [slot(node, 'mean', c), slot(node, 'variance', c)] };
    }
    case 'merge':
      if (ins.length < 2) fail(node, `expected at least 2 inputs, got ${ins.length}`);
      if (op.mode === 'sub' && ins.length !== 2) fail(node, `expected exactly 2 inputs to subtract, got ${ins.length}`);
      return { output: broadcast(node, ins), slots: [] };
    case 'concat': {
      const rank = x.length;
      const axis = op.axis < 0 ? rank + op.axis : op.axis;
      if (!(axis >= 0 && axis < rank)) fail(node, `expected a concat axis within rank ${rank}, got ${op.axis}`);
      for (const s of ins) {
        if (s.length !== rank || s.some((d, i) => i !== axis && d !== x[i])) fail(node, `expected inputs that differ only on axis ${op.axis}, got ${ins.map(fmt).join(' and ')}`);
      }
      const output = [...x];
      output[axis] = ins.reduce((a, s) => a + s[axis]!, 0);
      return { output, slots: [] };
    }
    case 'reshape':
      return { output: reshapeOut(node, op.shape, x), slots: [] };
    case 'flatten':
      return { output: [product(x)], slots: [] };
    case 'permute': {
      const ok = op.dims.length === x.length && [...op.dims].sort((a, b) => a - b).every((d, i) => d === i + 1);
      if (!ok) fail(node, `expected a permutation of 1..${x.length}, got [${op.dims}]`);
      return { output: op.dims.map((d) => x[d - 1]!), slots: [] };
    }
    case 'upsample':
      if (x.length !== 3) fail(node, `expected a [height, width, channels] input, got ${fmt(x)}`);
      return { output: [x[0]! * op.size[0], x[1]! * op.size[1], x[2]!], slots: [] };
  }
}

/** Output shape, weight slots and multiply-adds of one node from its input shapes (batch axis excluded). */
export function nodeShapes(node: Node, ins: number[][]): NodeShapes {
  const r = opShapes(node, ins);
  expect(r.output.every((d) => Number.isInteger(d) && d > 0), 'invalid_model', `node '${node.name}' (${node.className}): expected a positive output shape, got ${fmt(r.output)}`);
  return { output: r.output, slots: r.slots, macs: r.macs ?? 0 };
}
