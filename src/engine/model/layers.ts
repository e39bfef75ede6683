// Keras layer configs (Keras 2 and 3 spellings) parsed into the engine's LayerSpec; anything else is refused by name.
import { z } from 'zod';
import { EngineError } from '../errors';
import { parseOr } from './schema';
import type { LayerEntry } from './schema';
import type { ActivationName, LayerSpec } from './types';

const ACTIVATIONS: Record<string, ActivationName> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  swish: 'swish',
  silu: 'swish',
};

export const SUPPORTED_LAYERS = [
  'InputLayer', 'Dense', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'Reshape', 'Dropout',
  'Activation', 'ReLU', 'Softmax', 'BatchNormalization',
] as const;

/** Older and newer Keras spellings of the same class. */
const ALIASES: Record<string, string> = {
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  Convolution2D: 'Conv2D',
};

const posInt = z.number().int().positive();
/** Keras writes sizes and strides as [a, b]; a bare int means [a, a]. */
const pair = z.union([posInt, z.array(posInt).length(2)]).transform((v): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]));
const padding = z.enum(['valid', 'same']).default('valid');
const dataFormat = z.string().nullable().optional();

const DenseCfg = z.object({ units: posInt, activation: z.unknown(), use_bias: z.boolean().default(true) });
const ConvCfg = z.object({
  filters: posInt,
  kernel_size: pair,
  strides: pair.default([1, 1]),
  padding,
  data_format: dataFormat,
  dilation_rate: pair.default([1, 1]),
  groups: posInt.default(1),
  activation: z.unknown(),
  use_bias: z.boolean().default(true),
});
const PoolCfg = z.object({ pool_size: pair.default([2, 2]), strides: pair.nullable().optional(), padding, data_format: dataFormat });
const FlattenCfg = z.object({ data_format: dataFormat });
const ReshapeCfg = z.object({ target_shape: z.array(z.number().int().min(-1)).min(1) });
const DropoutCfg = z.object({ rate: z.number().min(0).max(1) });
const ActivationCfg = z.object({ activation: z.unknown() });
const ReluCfg = z.object({
  max_value: z.number().nullable().optional(),
  negative_slope: z.number().nullable().optional(),
  threshold: z.number().nullable().optional(),
});
const SoftmaxCfg = z.object({ axis: z.union([z.number().int(), z.array(z.number().int()).length(1)]).default(-1) });
const BatchNormCfg = z.object({
  axis: z.union([z.number().int(), z.array(z.number().int()).length(1)]).default(-1),
  epsilon: z.number().positive().default(1e-3),
  center: z.boolean().default(true),
  scale: z.boolean().default(true),
});

function refuse(layer: string, className: string, what: string, pointer: string): never {
  throw new EngineError('unsupported_layer', `layer '${layer}' (${className}) ${what}`, pointer);
}

/** Activation as a string ('relu'), or a Keras 3 object whose config / registered_name / class_name names it. */
export function activationOf(v: unknown, layer: string, className: string, pointer: string): ActivationName {
  let name: unknown = v ?? 'linear';
  if (typeof name === 'object' && name !== null) {
    const o = name as Record<string, unknown>;
    name = typeof o.config === 'string' ? o.config : (o.registered_name ?? o.class_name);
  }
  const key = typeof name === 'string' ? name.toLowerCase() : '';
  const act = ACTIVATIONS[key];
  if (!act) {
    refuse(layer, className, `uses activation ${JSON.stringify(name)}; expected one of ${Object.keys(ACTIVATIONS).join(', ')}`, `${pointer}.activation`);
  }
  return act;
}

function channelsLast(fmt: string | null | undefined, layer: string, className: string, pointer: string): void {
  if (fmt != null && fmt !== 'channels_last') refuse(layer, className, `uses data_format '${fmt}'; expected 'channels_last'`, `${pointer}.data_format`);
}

/** The LayerSpec of one non-input layer entry; `pointer` locates the entry in model.json. */
export function parseLayer(entry: LayerEntry, pointer: string): LayerSpec {
  const cls = ALIASES[entry.class_name] ?? entry.class_name;
  const name = String(entry.config.name ?? entry.name ?? '');
  if (!name) throw new EngineError('invalid_model', `expected a name for the ${cls} layer at ${pointer}, got none`, pointer);
  const at = `${pointer}.config`;
  const what = `layer '${name}' (${cls}) has an invalid config`;
  const base = { name, className: entry.class_name };
  const cfg = entry.config;
  switch (cls) {
    case 'Dense': {
      const c = parseOr(DenseCfg, cfg, 'invalid_model', what, at);
      return { ...base, kind: 'dense', units: c.units, useBias: c.use_bias, activation: activationOf(c.activation, name, cls, at) };
    }
    case 'Conv2D': {
      const c = parseOr(ConvCfg, cfg, 'invalid_model', what, at);
      channelsLast(c.data_format, name, cls, at);
      if (c.dilation_rate[0] !== 1 || c.dilation_rate[1] !== 1) refuse(name, cls, `uses dilation_rate [${c.dilation_rate}]; expected [1, 1]`, `${at}.dilation_rate`);
      if (c.groups !== 1) refuse(name, cls, `uses groups ${c.groups}; expected 1`, `${at}.groups`);
      const act = activationOf(c.activation, name, cls, at);
      return { ...base, kind: 'conv2d', filters: c.filters, kernelSize: c.kernel_size, strides: c.strides, padding: c.padding, useBias: c.use_bias, activation: act };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const c = parseOr(PoolCfg, cfg, 'invalid_model', what, at);
      channelsLast(c.data_format, name, cls, at);
      const op = cls === 'MaxPooling2D' ? 'max' : 'avg';
      return { ...base, kind: 'pool', op, poolSize: c.pool_size, strides: c.strides ?? c.pool_size, padding: c.padding };
    }
    case 'Flatten':
      channelsLast(parseOr(FlattenCfg, cfg, 'invalid_model', what, at).data_format, name, cls, at);
      return { ...base, kind: 'flatten' };
    case 'Reshape':
      return { ...base, kind: 'reshape', targetShape: parseOr(ReshapeCfg, cfg, 'invalid_model', what, at).target_shape };
    case 'Dropout':
      return { ...base, kind: 'dropout', rate: parseOr(DropoutCfg, cfg, 'invalid_model', what, at).rate };
    case 'Activation': {
      const c = parseOr(ActivationCfg, cfg, 'invalid_model', what, at);
      return { ...base, kind: 'activation', activation: activationOf(c.activation, name, cls, at) };
    }
    case 'ReLU':
      return parseRelu(parseOr(ReluCfg, cfg, 'invalid_model', what, at), name, cls, at);
    case 'Softmax': {
      const axis = [parseOr(SoftmaxCfg, cfg, 'invalid_model', what, at).axis].flat()[0];
      if (axis !== -1) refuse(name, cls, `uses axis ${axis}; expected -1`, `${at}.axis`);
      return { ...base, kind: 'activation', activation: 'softmax' };
    }
    case 'BatchNormalization': {
      const c = parseOr(BatchNormCfg, cfg, 'invalid_model', what, at);
      // The axis is checked against the input rank when shapes are inferred (only the channel axis, i.e. the last).
      return { ...base, kind: 'batchNorm', axis: [c.axis].flat()[0]!, epsilon: c.epsilon, center: c.center, scale: c.scale };
    }
    default:
      throw new EngineError(
        'unsupported_layer',
        `layer '${name}' has class ${entry.class_name}, which qaudit does not support; expected one of ${SUPPORTED_LAYERS.join(', ')}`,
        pointer,
      );
  }
}

/** ReLU(max_value) maps onto the relu / relu6 activations; leaky or thresholded variants are refused. */
function parseRelu(c: z.infer<typeof ReluCfg>, name: string, cls: string, at: string): LayerSpec {
  if ((c.negative_slope ?? 0) !== 0) refuse(name, cls, `uses negative_slope ${c.negative_slope}; expected 0`, `${at}.negative_slope`);
  if ((c.threshold ?? 0) !== 0) refuse(name, cls, `uses threshold ${c.threshold}; expected 0`, `${at}.threshold`);
  const max = c.max_value ?? null;
  if (max !== null && max !== 6) refuse(name, cls, `uses max_value ${max}; expected none or 6`, `${at}.max_value`);
  return { name, className: cls, kind: 'activation', activation: max === 6 ? 'relu6' : 'relu' };
}
