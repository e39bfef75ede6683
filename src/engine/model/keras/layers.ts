// The Keras op table: one layer config (Keras 2 and 3 spellings) -> one IR op; anything else is refused by name.
import { z } from 'zod';
import { EngineError } from '../../errors';
import type { Act, Op } from '../ir';
import { parseOr } from '../schema';
import type { LayerEntry } from '../schema';

const NAMED_ACTS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'selu', 'softplus', 'swish', 'gelu', 'exponential', 'softsign'] as const;

/** Activation names Keras writes (lower case) -> IR activation. A Map: user strings never reach Object.prototype. */
function activationTable(keras3: boolean): Map<string, Act> {
  const m = new Map<string, Act>(NAMED_ACTS.map((fn) => [fn, { fn }]));
  m.set('silu', { fn: 'swish' });
  m.set('elu', { fn: 'elu', alpha: 1 });
  m.set('hard_sigmoid', { fn: 'hardSigmoid', keras3 });
  m.set('hard_silu', { fn: 'hardSwish' });
  m.set('hard_swish', { fn: 'hardSwish' });
  m.set('leaky_relu', { fn: 'leaky', alpha: 0.2 });
  return m;
}

export const SUPPORTED_LAYERS = [
  'InputLayer', 'Dense', 'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'MaxPooling2D', 'AveragePooling2D',
  'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'Flatten', 'Reshape',
  'Permute', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Activation', 'ReLU',
  'LeakyReLU', 'PReLU', 'ELU', 'Softmax', 'BatchNormalization', 'LayerNormalization', 'Rescaling', 'Normalization',
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate',
] as const;

/** Older and newer Keras spellings of the same class. */
const ALIASES = new Map<string, string>([
  ['MaxPool2D', 'MaxPooling2D'], ['AvgPool2D', 'AveragePooling2D'], ['Convolution2D', 'Conv2D'],
  ['SeparableConvolution2D', 'SeparableConv2D'], ['GlobalAvgPool2D', 'GlobalAveragePooling2D'], ['GlobalMaxPool2D', 'GlobalMaxPooling2D'],
]);

/** Inference-time no-ops. */
const IDENTITY = new Set(['Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);
const MERGES = new Map<string, Extract<Op, { type: 'merge' }>['mode']>([
  ['Add', 'add'], ['Subtract', 'sub'], ['Multiply', 'mul'], ['Average', 'avg'], ['Maximum', 'max'], ['Minimum', 'min'],
]);

const posInt = z.number().int().positive();
const nonNeg = z.number().int().min(0);
/** Keras writes sizes and strides as [a, b]; a bare int means [a, a]. */
const pair = z.union([posInt, z.array(posInt).length(2)]).transform((v): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]));
/** ZeroPadding2D / Cropping2D: n, [h, w] or [[top, bottom], [left, right]] -> [t, b, l, r]. */
const pads = z.union([nonNeg, z.array(nonNeg).length(2), z.array(z.array(nonNeg).length(2)).length(2)]).transform((v): [number, number, number, number] => {
  if (typeof v === 'number') return [v, v, v, v];
  if (typeof v[0] === 'number') return [v[0], v[0], v[1] as number, v[1] as number];
  const [[t, b], [l, r]] = v as number[][];
  return [t!, b!, l!, r!];
});
const padding = z.enum(['valid', 'same']).default('valid');
const dataFormat = z.string().nullable().optional();
const axisOne = z.union([z.number().int(), z.array(z.number().int()).length(1)]).transform((v) => [v].flat()[0]!);
const channels = z.union([z.number(), z.array(z.number())]).transform((v) => [v].flat());

const Dense = z.object({ units: posInt, activation: z.unknown().optional(), use_bias: z.boolean().default(true) });
const convBase = {
  kernel_size: pair, strides: pair.default([1, 1]), padding, data_format: dataFormat, dilation_rate: pair.default([1, 1]),
  activation: z.unknown().optional(), use_bias: z.boolean().default(true),
};
const Conv = z.object({ ...convBase, filters: posInt, groups: posInt.default(1) });
const Depthwise = z.object({ ...convBase, depth_multiplier: posInt.default(1) });
const Separable = z.object({ ...convBase, filters: posInt, depth_multiplier: posInt.default(1) });
const Pool = z.object({ pool_size: pair.default([2, 2]), strides: pair.nullable().optional(), padding, data_format: dataFormat });
const GlobalPool = z.object({ data_format: dataFormat, keepdims: z.boolean().default(false) });
const Pad = z.object({ padding: pads.default([1, 1, 1, 1]), data_format: dataFormat });
const Crop = z.object({ cropping: pads.default([0, 0, 0, 0]), data_format: dataFormat });
const UpSampling = z.object({ size: pair.default([2, 2]), interpolation: z.string().default('nearest'), data_format: dataFormat });
const Flatten = z.object({ data_format: dataFormat });
const Reshape = z.object({ target_shape: z.array(z.number().int().min(-1)).min(1) });
const Permute = z.object({ dims: z.array(posInt).min(1) });
const Activation = z.object({ activation: z.unknown() });
const Relu = z.object({ max_value: z.number().nullable().optional(), negative_slope: z.number().nullable().optional(), threshold: z.number().nullable().optional() });
const Leaky = z.object({ alpha: z.number().optional(), negative_slope: z.number().optional() });
const PRelu = z.object({ shared_axes: z.union([posInt, z.array(posInt)]).nullable().optional() });
const Elu = z.object({ alpha: z.number().default(1) });
const Softmax = z.object({ axis: axisOne.default(-1) });
const BatchNorm = z.object({ axis: axisOne.default(-1), epsilon: z.number().positive().default(1e-3), center: z.boolean().default(true), scale: z.boolean().default(true) });
const LayerNorm = z.object({ axis: axisOne.default(-1), epsilon: z.number().positive().default(1e-3), center: z.boolean().default(true), scale: z.boolean().default(true) });
const Rescaling = z.object({ scale: channels, offset: channels.default([0]) });
const Normalization = z.object({ axis: axisOne.nullable().default(-1), mean: channels.nullable().optional(), variance: channels.nullable().optional(), invert: z.boolean().default(false) });
const Concat = z.object({ axis: z.number().int().default(-1) });

/** What a parsed layer needs checked once shapes are known: the axis it works on (Keras counts the batch axis). */
export interface Parsed {
  op: Op;
  /** BatchNormalization / LayerNormalization / Softmax axis, to be checked against the input rank. */
  axis?: number;
}

export interface LayerContext {
  /** Keras 3 semantics where they differ from Keras 2 (hard_sigmoid). */
  keras3: boolean;
}

function refuse(layer: string, cls: string, what: string, pointer: string): never {
  throw new EngineError('unsupported_layer', `layer '${layer}' (${cls}) ${what}`, pointer);
}

/** Activation as a string ('relu'), or a Keras 3 object whose config / registered_name / class_name names it. */
export function activationOf(v: unknown, layer: string, cls: string, pointer: string, ctx: LayerContext): Act {
  let name: unknown = v ?? 'linear';
  if (typeof name === 'object' && name !== null) {
    const o = name as Record<string, unknown>;
    name = typeof o.config === 'string' ? o.config : (o.registered_name ?? o.class_name);
  }
  const table = activationTable(ctx.keras3);
  const act = typeof name === 'string' ? table.get(name.toLowerCase()) : undefined;
  if (!act) refuse(layer, cls, `uses activation ${JSON.stringify(name)}; expected one of ${[...table.keys()].join(', ')}`, `${pointer}.activation`);
  return act;
}

function channelsLast(fmt: string | null | undefined, layer: string, cls: string, pointer: string): void {
  if (fmt != null && fmt !== 'channels_last') refuse(layer, cls, `uses data_format '${fmt}'; expected 'channels_last'`, `${pointer}.data_format`);
}

/** The IR op of one non-input layer entry; `pointer` locates the entry in model.json. */
export function parseLayer(entry: LayerEntry, name: string, pointer: string, ctx: LayerContext): Parsed {
  const cls = ALIASES.get(entry.class_name) ?? entry.class_name;
  const at = `${pointer}.config`;
  const parse = <T>(schema: z.ZodType<T>): T => parseOr(schema, entry.config, 'invalid_model', `layer '${name}' (${cls}) has an invalid config`, at);
  const act = (v: unknown) => activationOf(v, name, cls, at, ctx);
  const fmt = (f: string | null | undefined) => channelsLast(f, name, cls, at);
  if (IDENTITY.has(cls)) return { op: { type: 'identity' } };
  const merge = MERGES.get(cls);
  if (merge) return { op: { type: 'merge', mode: merge } };
  switch (cls) {
    case 'Dense': {
      const c = parse(Dense);
      return { op: { type: 'dense', units: c.units, useBias: c.use_bias, act: act(c.activation) } };
    }
    case 'Conv2D': {
      const c = parse(Conv);
      fmt(c.data_format);
      return { op: { type: 'conv2d', filters: c.filters, kernel: c.kernel_size, strides: c.strides, dilations: c.dilation_rate, padding: c.padding, groups: c.groups, useBias: c.use_bias, act: act(c.activation) } };
    }
    case 'DepthwiseConv2D': {
      const c = parse(Depthwise);
      fmt(c.data_format);
      return { op: { type: 'depthwise', multiplier: c.depth_multiplier, kernel: c.kernel_size, strides: c.strides, dilations: c.dilation_rate, padding: c.padding, useBias: c.use_bias, act: act(c.activation) } };
    }
    case 'SeparableConv2D': {
      const c = parse(Separable);
      fmt(c.data_format);
      return { op: { type: 'separable', filters: c.filters, multiplier: c.depth_multiplier, kernel: c.kernel_size, strides: c.strides, dilations: c.dilation_rate, padding: c.padding, useBias: c.use_bias, act: act(c.activation) } };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const c = parse(Pool);
      fmt(c.data_format);
      return { op: { type: 'pool', mode: cls === 'MaxPooling2D' ? 'max' : 'avg', size: c.pool_size, strides: c.strides ?? c.pool_size, padding: c.padding } };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      const c = parse(GlobalPool);
      fmt(c.data_format);
      return { op: { type: 'globalPool', mode: cls === 'GlobalMaxPooling2D' ? 'max' : 'avg', keepdims: c.keepdims } };
    }
    case 'ZeroPadding2D': {
      const c = parse(Pad);
      fmt(c.data_format);
      return { op: { type: 'pad', pads: c.padding } };
    }
    case 'Cropping2D': {
      const c = parse(Crop);
      fmt(c.data_format);
      return { op: { type: 'crop', crop: c.cropping } };
    }
    case 'UpSampling2D': {
      const c = parse(UpSampling);
      fmt(c.data_format);
      if (c.interpolation !== 'nearest') refuse(name, cls, `uses interpolation '${c.interpolation}'; expected 'nearest'`, `${at}.interpolation`);
      return { op: { type: 'upsample', size: c.size, interpolation: 'nearest' } };
    }
    case 'Flatten':
      fmt(parse(Flatten).data_format);
      return { op: { type: 'flatten' } };
    case 'Reshape':
      return { op: { type: 'reshape', shape: parse(Reshape).target_shape } };
    case 'Permute':
      return { op: { type: 'permute', dims: parse(Permute).dims } };
    case 'Activation':
      return { op: { type: 'act', act: act(parse(Activation).activation) } };
    case 'ReLU': {
      const c = parse(Relu);
      const [max, slope, threshold] = [c.max_value ?? null, c.negative_slope ?? 0, c.threshold ?? 0];
      const plain: Act | null = slope === 0 && threshold === 0 ? (max === null ? { fn: 'relu' } : max === 6 ? { fn: 'relu6' } : null) : null;
      return { op: { type: 'act', act: plain ?? { fn: 'reluX', max, slope, threshold } } };
    }
    case 'LeakyReLU': {
      const c = parse(Leaky);
      return { op: { type: 'act', act: { fn: 'leaky', alpha: c.negative_slope ?? c.alpha ?? 0.3 } } };
    }
    case 'PReLU': {
      const shared = parse(PRelu).shared_axes;
      return { op: { type: 'prelu', sharedAxes: shared == null ? [] : [shared].flat() } };
    }
    case 'ELU':
      return { op: { type: 'act', act: { fn: 'elu', alpha: parse(Elu).alpha } } };
    case 'Softmax':
      return { op: { type: 'act', act: { fn: 'softmax' } }, axis: parse(Softmax).axis };
    case 'BatchNormalization': {
      const c = parse(BatchNorm);
      return { op: { type: 'batchNorm', epsilon: c.epsilon, center: c.center, scale: c.scale }, axis: c.axis };
    }
    case 'LayerNormalization': {
      const c = parse(LayerNorm);
      return { op: { type: 'layerNorm', epsilon: c.epsilon, center: c.center, scale: c.scale }, axis: c.axis };
    }
    case 'Rescaling': {
      const c = parse(Rescaling);
      return { op: { type: 'affine', scale: c.scale, offset: c.offset } };
    }
    case 'Normalization':
      return normalization(parse(Normalization), name, cls, at);
    case 'Concatenate': {
      // Keras counts the batch axis as 0; the IR counts from the first non-batch axis.
      const axis = parse(Concat).axis;
      return { op: { type: 'concat', axis: axis < 0 ? axis : axis - 1 } };
    }
    default:
      throw new EngineError('unsupported_layer', `layer '${name}' has class ${entry.class_name}, which qaudit does not support; expected one of ${SUPPORTED_LAYERS.join(', ')}`, pointer);
  }
}

/** Normalization with mean/variance in its config becomes a fixed affine map; otherwise they are weights. */
function normalization(c: z.infer<typeof Normalization>, name: string, cls: string, at: string): Parsed {
  if (c.invert) refuse(name, cls, 'uses invert: true; expected false', `${at}.invert`);
  if (c.axis !== -1) refuse(name, cls, `uses axis ${c.axis}; expected -1 (the channel axis)`, `${at}.axis`);
  const EPS = 1e-7; // keras.backend.epsilon(): (x - mean) / max(sqrt(variance), epsilon)
  if (c.mean && c.variance) {
    const n = Math.max(c.mean.length, c.variance.length);
    const scale = Array.from({ length: n }, (_, i) => 1 / Math.max(Math.sqrt(c.variance![i % c.variance!.length]!), EPS));
    const offset = scale.map((s, i) => -c.mean![i % c.mean!.length]! * s);
    return { op: { type: 'affine', scale, offset } };
  }
  return { op: { type: 'normalize', epsilon: EPS } };
}
