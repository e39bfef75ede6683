// Builders of tiny tfjs Layers models in memory (model.json object + weight shards), for every engine test.
//
//   const { json, shards, weights } = buildLayersModel(
//     [{ type: 'conv2d', filters: 2, kernelSize: 3 }, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }],
//     { inputShape: [6, 6, 1], seed: 1 });
//   const model = loadLayersModel(json, shards);
//
// Weights are seeded (glorot-uniform kernels, small biases, BatchNorm variance in [0.5, 1.5]) or given per key
// (`${layer}/${kind}`); `weights` holds exactly the float32 values a correct loader decodes (after any
// manifest quantization). Layer names default to Keras' style: dense, dense_1, conv2d, ...
import { Rng } from '../../src/engine/rng';

export type TinyLayer =
  | { type: 'dense'; units: number; activation?: string; useBias?: boolean; name?: string }
  | { type: 'conv2d'; filters: number; kernelSize: number | [number, number]; strides?: number | [number, number]; padding?: 'valid' | 'same'; activation?: string; useBias?: boolean; name?: string }
  | { type: 'maxPool' | 'avgPool'; poolSize?: number | [number, number]; strides?: number | [number, number]; padding?: 'valid' | 'same'; name?: string }
  | { type: 'flatten'; name?: string }
  | { type: 'reshape'; targetShape: number[]; name?: string }
  | { type: 'dropout'; rate?: number; name?: string }
  | { type: 'activation'; activation: string; name?: string }
  | { type: 'relu'; maxValue?: number; name?: string }
  | { type: 'softmax'; name?: string }
  | { type: 'batchNorm'; epsilon?: number; center?: boolean; scale?: boolean; name?: string }
  /** Any Keras class verbatim (e.g. an unsupported one); `weights` are [kind, shape] pairs. */
  | { type: 'raw'; className: string; config?: Record<string, unknown>; weights?: [string, number[]][]; name?: string };

export interface BuildOptions {
  /** Input shape without the batch axis, e.g. [28, 28, 1] or [784]. */
  inputShape: number[];
  seed?: number;
  /**
   * keras2: `{class_name: 'Sequential', config: {layers}}` with batch_input_shape on the first layer (tfjs model.save);
   * converter: Keras 2 wrapped in `model_config` with an InputLayer (tensorflowjs_converter);
   * keras3: Sequential with an InputLayer `batch_shape`, module/registered_name, weights named `sequential/...`;
   * functional / keras3-functional: the same chain as a Functional model in Keras 2 / Keras 3 node syntax.
   */
  format?: 'keras2' | 'converter' | 'keras3' | 'functional' | 'keras3-functional';
  /** Manifest quantization of every weight (as tensorflowjs_converter --quantize_*). Default float32. */
  quantization?: 'uint8' | 'uint16' | 'float16';
  /** Values for some weights, keyed `${layer}/${kind}`; the rest are seeded. */
  values?: Record<string, ArrayLike<number>>;
  /** Split the weight bytes into this many shards (group1-shard1ofN.bin ...). Default 1. */
  shards?: number;
}

export interface BuiltModel {
  json: Record<string, unknown>;
  shards: Map<string, Uint8Array>;
  /** The float32 values a loader must decode, keyed `${layer}/${kind}` (the manifest name without prefix). */
  weights: Map<string, Float32Array>;
  /** Layer names in order (InputLayer excluded). */
  names: string[];
}

const SNAKE: Record<string, string> = { dense: 'dense', conv2d: 'conv2d', maxPool: 'max_pooling2d', avgPool: 'average_pooling2d', flatten: 'flatten', reshape: 'reshape', dropout: 'dropout', activation: 'activation', relu: 're_lu', softmax: 'softmax', batchNorm: 'batch_normalization', raw: 'layer' };
const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
const outSize = (n: number, k: number, s: number, pad: string) => (pad === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s));

interface Built { className: string; config: Record<string, unknown>; weights: [string, number[]][]; out: number[] }

/** Keras config and weight shapes of one layer, given its input shape (a small independent shape tracker). */
function describe(l: TinyLayer, name: string, input: number[]): Built {
  const c = input[input.length - 1]!;
  switch (l.type) {
    case 'dense': {
      const w: [string, number[]][] = [['kernel', [c, l.units]]];
      if (l.useBias !== false) w.push(['bias', [l.units]]);
      return { className: 'Dense', config: { name, units: l.units, activation: l.activation ?? 'linear', use_bias: l.useBias !== false }, weights: w, out: [l.units] };
    }
    case 'conv2d': {
      const k = pair(l.kernelSize, 1), s = pair(l.strides, 1), pad = l.padding ?? 'valid';
      const w: [string, number[]][] = [['kernel', [k[0], k[1], c, l.filters]]];
      if (l.useBias !== false) w.push(['bias', [l.filters]]);
      const out = [outSize(input[0]!, k[0], s[0], pad), outSize(input[1]!, k[1], s[1], pad), l.filters];
      return { className: 'Conv2D', config: { name, filters: l.filters, kernel_size: k, strides: s, padding: pad, data_format: 'channels_last', dilation_rate: [1, 1], activation: l.activation ?? 'linear', use_bias: l.useBias !== false }, weights: w, out };
    }
    case 'maxPool':
    case 'avgPool': {
      const p = pair(l.poolSize, 2), s = pair(l.strides, p[0]), pad = l.padding ?? 'valid';
      const out = [outSize(input[0]!, p[0], s[0], pad), outSize(input[1]!, p[1], s[1], pad), c];
      return { className: l.type === 'maxPool' ? 'MaxPooling2D' : 'AveragePooling2D', config: { name, pool_size: p, strides: s, padding: pad, data_format: 'channels_last' }, weights: [], out };
    }
    case 'flatten':
      return { className: 'Flatten', config: { name, data_format: 'channels_last' }, weights: [], out: [input.reduce((a, b) => a * b, 1)] };
    case 'reshape':
      return { className: 'Reshape', config: { name, target_shape: l.targetShape }, weights: [], out: l.targetShape };
    case 'dropout':
      return { className: 'Dropout', config: { name, rate: l.rate ?? 0.5 }, weights: [], out: input };
    case 'activation':
      return { className: 'Activation', config: { name, activation: l.activation }, weights: [], out: input };
    case 'relu':
      return { className: 'ReLU', config: { name, max_value: l.maxValue ?? null, negative_slope: 0, threshold: 0 }, weights: [], out: input };
    case 'softmax':
      return { className: 'Softmax', config: { name, axis: -1 }, weights: [], out: input };
    case 'batchNorm': {
      const kinds = [...(l.scale !== false ? ['gamma'] : []), ...(l.center !== false ? ['beta'] : []), 'moving_mean', 'moving_variance'];
      return { className: 'BatchNormalization', config: { name, axis: -1, epsilon: l.epsilon ?? 1e-3, center: l.center !== false, scale: l.scale !== false }, weights: kinds.map((k) => [k, [c]]), out: input };
    }
    case 'raw':
      return { className: l.className, config: { name, ...l.config }, weights: l.weights ?? [], out: input };
  }
}

function seeded(rng: Rng, kind: string, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const u = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const limit = Math.sqrt(6 / (fanIn + shape[shape.length - 1]!));
  return Float32Array.from({ length: n }, () =>
    kind === 'kernel' ? u(-limit, limit) : kind === 'gamma' || kind === 'moving_variance' ? u(0.5, 1.5) : u(-0.1, 0.1));
}

/** float -> IEEE half bits (round to nearest; normal and subnormal range only, enough for weights). */
export function toHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) { m = 0; e++; }
  return sign | ((e + 15) << 10) | m;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f, m = h & 0x3ff;
  return sign * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
}

/** Bytes of one weight in the manifest encoding, the decoded values, and the manifest quantization entry. */
function encode(v: Float32Array, q: BuildOptions['quantization']): { bytes: Uint8Array; decoded: Float32Array; quantization?: object } {
  if (!q) return { bytes: new Uint8Array(v.slice().buffer), decoded: v };
  if (q === 'float16') {
    const h = Uint16Array.from(v, toHalf);
    return { bytes: new Uint8Array(h.buffer), decoded: Float32Array.from(h, fromHalf), quantization: { dtype: 'float16', original_dtype: 'float32' } };
  }
  const levels = q === 'uint8' ? 255 : 65535;
  const min = Math.min(...v), max = Math.max(...v);
  const scale = max > min ? (max - min) / levels : 1;
  const codes = Array.from(v, (x) => Math.round((x - min) / scale));
  const bytes = q === 'uint8' ? Uint8Array.from(codes) : new Uint8Array(Uint16Array.from(codes).buffer);
  // tfjs decodes q * scale + min in double, then stores float32.
  return { bytes, decoded: Float32Array.from(codes, (c) => c * scale + min), quantization: { dtype: q, min, scale, original_dtype: 'float32' } };
}

function entry(className: string, config: Record<string, unknown>, keras3: boolean): Record<string, unknown> {
  if (!keras3) return { class_name: className, config };
  const dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  return { module: 'keras.layers', class_name: className, config: { trainable: true, dtype, ...config }, registered_name: null };
}

function topology(built: Built[], opts: BuildOptions): Record<string, unknown> {
  const format = opts.format ?? 'keras2';
  const keras3 = format.startsWith('keras3');
  const inputCfg = keras3 ? { name: 'input_layer', batch_shape: [null, ...opts.inputShape], dtype: 'float32' } : { name: 'input_1', batch_input_shape: [null, ...opts.inputShape], dtype: 'float32' };
  const input = entry('InputLayer', inputCfg, keras3);
  const layers = built.map((b) => entry(b.className, b.config, keras3));
  if (format === 'keras2') {
    (layers[0]!.config as Record<string, unknown>).batch_input_shape = [null, ...opts.inputShape];
    return { class_name: 'Sequential', config: { name: 'sequential', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };
  }
  if (format === 'converter') return { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: 'Sequential', config: { name: 'sequential', layers: [input, ...layers] } } };
  if (format === 'keras3') return { module: 'keras', class_name: 'Sequential', config: { name: 'sequential', trainable: true, layers: [input, ...layers] }, registered_name: null };
  const all = [input, ...layers];
  const names = all.map((l) => String((l.config as Record<string, unknown>).name));
  all.forEach((l, i) => {
    l.name = names[i];
    const prev = names[i - 1];
    l.inbound_nodes = !prev ? [] : keras3
      ? [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null], dtype: 'float32', keras_history: [prev, 0, 0] } }], kwargs: {} }]
      : [[[prev, 0, 0, {}]]];
  });
  const ends = keras3 ? { input_layers: [names[0], 0, 0], output_layers: [names[names.length - 1], 0, 0] } : { input_layers: [[names[0], 0, 0]], output_layers: [[names[names.length - 1], 0, 0]] };
  return { ...(keras3 ? { module: 'keras' } : {}), class_name: 'Functional', config: { name: 'model', layers: all, ...ends } };
}

/** A tfjs Layers model: `json` (model.json as an object) and `shards` (file name -> bytes). */
export function buildLayersModel(layers: TinyLayer[], opts: BuildOptions): BuiltModel {
  const rng = new Rng(opts.seed ?? 1, 'tiny-layers-model');
  const counts = new Map<string, number>();
  let shape = opts.inputShape;
  const built = layers.map((l) => {
    const n = counts.get(l.type) ?? 0;
    counts.set(l.type, n + 1);
    const b = describe(l, l.name ?? (n ? `${SNAKE[l.type]}_${n}` : SNAKE[l.type]!), shape);
    shape = b.out;
    return b;
  });
  const prefix = opts.format?.startsWith('keras3') ? 'sequential/' : '';
  const weights = new Map<string, Float32Array>();
  const specs: object[] = [];
  const parts: Uint8Array[] = [];
  for (const b of built) {
    for (const [kind, wshape] of b.weights) {
      const key = `${String(b.config.name)}/${kind}`;
      const given = opts.values?.[key];
      const enc = encode(given ? Float32Array.from(given) : seeded(rng, kind, wshape), opts.quantization);
      weights.set(key, enc.decoded);
      parts.push(enc.bytes);
      specs.push({ name: prefix + key, shape: wshape, dtype: 'float32', ...(enc.quantization ? { quantization: enc.quantization } : {}) });
    }
  }
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((o, p) => (all.set(p, o), o + p.length), 0);
  const n = opts.shards ?? 1;
  const cut = Math.ceil(all.length / n);
  const shards = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) shards.set(`group1-shard${i + 1}of${n}.bin`, all.slice(i * cut, (i + 1) * cut));
  const json = { format: 'layers-model', generatedBy: 'test/helpers/models.ts', convertedBy: null, modelTopology: topology(built, opts), weightsManifest: [{ paths: [...shards.keys()], weights: specs }] };
  return { json, shards, weights, names: built.map((b) => String(b.config.name)) };
}
