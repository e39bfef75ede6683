// Shape inference over the chain: each layer's output shape and the weight tensors (slots) it expects.
import { EngineError, expect } from '../errors';
import { MAX_ACTIVATION_ELEMENTS } from './limits';
import type { LayerSpec, ModelSpec } from './types';

/** A weight tensor a layer expects; `key` is the canonical name `${layer}/${kind}` used in Model.weights. */
export interface WeightSlot {
  key: string;
  layer: string;
  kind: 'kernel' | 'bias' | 'gamma' | 'beta' | 'moving_mean' | 'moving_variance';
  shape: number[];
}

export interface LayerShapes {
  /** Output shape without the batch axis. */
  output: number[];
  slots: WeightSlot[];
  parameters: number;
}

export const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

function windowOut(n: number, k: number, s: number, pad: 'valid' | 'same'): number {
  // TensorFlow's rule, which Keras and tfjs follow.
  return pad === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
}

function spatial(layer: LayerSpec, input: number[], k: [number, number], s: [number, number], pad: 'valid' | 'same', c: number): number[] {
  expect(input.length === 3, 'invalid_model', `expected a [height, width, channels] input to layer '${layer.name}' (${layer.className}), got ${fmt(input)}`);
  const h = windowOut(input[0]!, k[0], s[0], pad);
  const w = windowOut(input[1]!, k[1], s[1], pad);
  expect(h > 0 && w > 0, 'invalid_model', `expected the input ${fmt(input)} of layer '${layer.name}' to be at least its window ${k[0]}x${k[1]}, got a smaller one`);
  return [h, w, c];
}

function reshapeOut(layer: LayerSpec & { kind: 'reshape' }, input: number[]): number[] {
  const n = product(input);
  const unknown = layer.targetShape.filter((d) => d === -1).length;
  const known = product(layer.targetShape.filter((d) => d !== -1));
  const ok = unknown <= 1 && known > 0 && (unknown ? n % known === 0 : n === known);
  expect(ok, 'invalid_model', `expected target_shape ${fmt(layer.targetShape)} of layer '${layer.name}' to hold ${n} elements (input ${fmt(input)}), got a mismatch`);
  return layer.targetShape.map((d) => (d === -1 ? n / known : d));
}

function slot(layer: string, kind: WeightSlot['kind'], shape: number[]): WeightSlot {
  return { key: `${layer}/${kind}`, layer, kind, shape };
}

function layerShapes(layer: LayerSpec, input: number[]): { output: number[]; slots: WeightSlot[] } {
  switch (layer.kind) {
    case 'dense': {
      expect(input.length === 1, 'invalid_model', `expected a flat input to Dense layer '${layer.name}' (add a Flatten), got ${fmt(input)}`);
      const slots = [slot(layer.name, 'kernel', [input[0]!, layer.units])];
      if (layer.useBias) slots.push(slot(layer.name, 'bias', [layer.units]));
      return { output: [layer.units], slots };
    }
    case 'conv2d': {
      const output = spatial(layer, input, layer.kernelSize, layer.strides, layer.padding, layer.filters);
      const slots = [slot(layer.name, 'kernel', [...layer.kernelSize, input[2]!, layer.filters])];
      if (layer.useBias) slots.push(slot(layer.name, 'bias', [layer.filters]));
      return { output, slots };
    }
    case 'pool':
      return { output: spatial(layer, input, layer.poolSize, layer.strides, layer.padding, input[2] ?? 0), slots: [] };
    case 'flatten':
      return { output: [product(input)], slots: [] };
    case 'reshape':
      return { output: reshapeOut(layer, input), slots: [] };
    case 'dropout':
    case 'activation':
      return { output: input, slots: [] };
    case 'batchNorm': {
      const ok = layer.axis === -1 || layer.axis === input.length;
      expect(ok, 'unsupported_layer', `expected BatchNormalization '${layer.name}' over the last (channel) axis, got axis ${layer.axis} for input ${fmt(input)}`);
      const c = [input[input.length - 1]!];
      const kinds: WeightSlot['kind'][] = [...(layer.scale ? ['gamma' as const] : []), ...(layer.center ? ['beta' as const] : []), 'moving_mean', 'moving_variance'];
      return { output: input, slots: kinds.map((k) => slot(layer.name, k, c)) };
    }
  }
}

/** Shapes of every layer; throws if the chain does not end in a vector of at least 2 class scores. */
export function inferShapes(spec: Pick<ModelSpec, 'rawInputShape' | 'layers'>): LayerShapes[] {
  let shape = spec.rawInputShape;
  const out: LayerShapes[] = [];
  for (const layer of spec.layers) {
    const r = layerShapes(layer, shape);
    const n = product(r.output);
    if (n > MAX_ACTIVATION_ELEMENTS) {
      throw new EngineError('limit_exceeded', `expected at most ${MAX_ACTIVATION_ELEMENTS} output elements per sample from layer '${layer.name}', got ${n} (${fmt(r.output)})`);
    }
    out.push({ ...r, parameters: r.slots.reduce((a, s) => a + product(s.shape), 0) });
    shape = r.output;
  }
  const last = shape;
  expect(last.length === 1 && last[0]! >= 2, 'invalid_model', `expected the model to end in a vector of at least 2 class scores, got output shape ${fmt(last)}`);
  return out;
}
