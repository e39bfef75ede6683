// The graph IR as a Keras 2 Functional topology (what tfjs-layers and qaudit load): one layer per node, plus a
// ZeroPadding2D before a conv with explicit pads.
import { EngineError, expect } from '../../errors';
import type { Act, Graph, Node, Op } from '../ir';

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

const inbound = (inputs: string[]) => (inputs.length ? [inputs.map((i) => [i, 0, 0, {}])] : []);

/** An activation as a Keras activation string, or null when it needs a layer of its own (see actLayers). */
function actName(a: Act): string | null {
  switch (a.fn) {
    case 'reluX':
    case 'leaky':
      return null;
    case 'elu': return a.alpha === 1 ? 'elu' : null;
    case 'hardSigmoid': return a.keras3 ? null : 'hard_sigmoid';
    case 'hardSwish': return 'hard_swish';
    default: return a.fn;
  }
}

/** Layers computing `a` where no activation string does: [class_name, config] pairs. */
function actLayers(a: Act): [string, Record<string, unknown>][] {
  switch (a.fn) {
    case 'reluX': return [['ReLU', { max_value: a.max, negative_slope: a.slope, threshold: a.threshold }]];
    case 'leaky': return [['LeakyReLU', { alpha: a.alpha }]];
    case 'elu': return [['ELU', { alpha: a.alpha }]];
    // relu6(x + 3) / 6 = min(max(x / 6 + 0.5, 0), 1).
    case 'hardSigmoid': return [['Rescaling', { scale: 1 / 6, offset: 0.5 }], ['ReLU', { max_value: 1 }]];
    default: return [['Activation', { activation: actName(a) }]];
  }
}

const pair = (v: [number, number]) => [v[0], v[1]];

/** [class_name, config, activation] of a node's main layer; the activation is appended as layers when needed. */
function layerOf(op: Op): [string, Record<string, unknown>, Act?] {
  const conv = (o: { kernel: [number, number]; strides: [number, number]; dilations: [number, number]; padding: unknown; useBias: boolean }) => ({
    kernel_size: pair(o.kernel), strides: pair(o.strides), dilation_rate: pair(o.dilations), padding: Array.isArray(o.padding) ? 'valid' : o.padding,
    data_format: 'channels_last', use_bias: o.useBias,
  });
  switch (op.type) {
    case 'conv2d': return ['Conv2D', { ...conv(op), filters: op.filters, groups: op.groups }, op.act];
    case 'depthwise': return ['DepthwiseConv2D', { ...conv(op), depth_multiplier: op.multiplier }, op.act];
    case 'separable': return ['SeparableConv2D', { ...conv(op), filters: op.filters, depth_multiplier: op.multiplier }, op.act];
    case 'dense': return ['Dense', { units: op.units, use_bias: op.useBias }, op.act];
    case 'pool':
      expect(!Array.isArray(op.padding) || op.mode === 'avg', 'unsupported_layer', 'expected a max pool with valid or same padding to save as Keras, got explicit pads (Keras pads max pools with zeros)');
      return [op.mode === 'max' ? 'MaxPooling2D' : 'AveragePooling2D', { pool_size: pair(op.size), strides: pair(op.strides), padding: Array.isArray(op.padding) ? 'valid' : op.padding, data_format: 'channels_last' }];
    case 'globalPool': return [op.mode === 'max' ? 'GlobalMaxPooling2D' : 'GlobalAveragePooling2D', { keepdims: op.keepdims, data_format: 'channels_last' }];
    case 'pad': return ['ZeroPadding2D', { padding: [[op.pads[0], op.pads[1]], [op.pads[2], op.pads[3]]], data_format: 'channels_last' }];
    case 'crop': return ['Cropping2D', { cropping: [[op.crop[0], op.crop[1]], [op.crop[2], op.crop[3]]], data_format: 'channels_last' }];
    case 'act': return ['Activation', { activation: 'linear' }, op.act];
    case 'prelu': return ['PReLU', { shared_axes: op.sharedAxes.length ? op.sharedAxes : null }];
    case 'batchNorm': return ['BatchNormalization', { axis: -1, epsilon: op.epsilon, center: op.center, scale: op.scale, momentum: 0.99 }];
    case 'layerNorm': return ['LayerNormalization', { axis: -1, epsilon: op.epsilon, center: op.center, scale: op.scale }];
    case 'affine': return ['Rescaling', { scale: op.scale.length === 1 ? op.scale[0] : op.scale, offset: op.offset.length === 1 ? op.offset[0] : op.offset }];
    case 'normalize': return ['Normalization', { axis: -1 }];
    case 'merge': return [{ add: 'Add', sub: 'Subtract', mul: 'Multiply', avg: 'Average', max: 'Maximum', min: 'Minimum' }[op.mode], {}];
    case 'concat': return ['Concatenate', { axis: op.axis < 0 ? op.axis : op.axis + 1 }];
    case 'reshape': return ['Reshape', { target_shape: op.shape }];
    case 'flatten': return ['Flatten', { data_format: 'channels_last' }];
    case 'permute': return ['Permute', { dims: op.dims }];
    case 'upsample': return ['UpSampling2D', { size: pair(op.size), interpolation: op.interpolation, data_format: 'channels_last' }];
    case 'identity': return ['Activation', { activation: 'linear' }];
    case 'fakeQuant': throw new EngineError('unsupported_layer', 'expected a model without activation fake quantization to save as Keras, got a QuantizeLinear/DequantizeLinear pair');
  }
}

/** The layers of one node; the node's name stays on the layer holding its weights, or on its last layer. */
function nodeLayers(node: Node): KerasLayer[] {
  const out: KerasLayer[] = [];
  let inputs = node.inputs;
  const push = (cls: string, name: string, config: Record<string, unknown>) => {
    out.push({ class_name: cls, name, config: { name, trainable: true, dtype: 'float32', ...config }, inbound_nodes: inbound(inputs) });
    inputs = [name];
  };
  const op = node.op;
  if ((op.type === 'conv2d' || op.type === 'depthwise' || op.type === 'separable' || op.type === 'pool') && Array.isArray(op.padding)) {
    const [t, b, l, r] = op.padding;
    push('ZeroPadding2D', `${node.name}_pad`, { padding: [[t, b], [l, r]], data_format: 'channels_last' });
  }
  // A Dropout stays one (at rate 0, an identity at training time too); other no-ops become linear activations.
  const [cls, config, act] = op.type === 'identity' && node.className === 'Dropout' ? ['Dropout', { rate: 0 }] : layerOf(op);
  const inline = act ? actName(act) : null;
  if (!act || inline !== null) {
    push(cls, node.name, act ? { ...config, activation: inline } : config);
    return out;
  }
  const extra = actLayers(act);
  if (op.type !== 'act') push(cls, node.name, { ...config, activation: 'linear' });
  const own = op.type === 'act';
  extra.forEach(([c, cfg], i) => push(c, own && i === extra.length - 1 ? node.name : `${node.name}_act${i}`, cfg));
  return out;
}

/**
 * A Keras 2 Functional model config for `g`. Nodes whose activation has no Keras string get extra layers; the
 * graph's output is then the last of them, named so that the loader finds the same tensors and weights.
 */
export function kerasTopology(g: Graph): { class_name: string; config: Record<string, unknown> } {
  const input: KerasLayer = { class_name: 'InputLayer', name: g.input.name, config: { name: g.input.name, batch_input_shape: [null, ...g.input.shape], dtype: 'float32', sparse: false }, inbound_nodes: [] };
  const layers = [input];
  const last = new Map<string, string>();
  for (const node of g.nodes) {
    const ls = nodeLayers({ ...node, inputs: node.inputs.map((i) => last.get(i) ?? i) });
    layers.push(...ls);
    last.set(node.name, ls[ls.length - 1]!.name);
  }
  const output = last.get(g.output) ?? g.output;
  return {
    class_name: 'Model',
    config: { name: g.name, layers, input_layers: [[g.input.name, 0, 0]], output_layers: [[output, 0, 0]] },
  };
}
