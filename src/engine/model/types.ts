// The model as the engine sees it: a graph classifier with a summary, quantizable into k-bit twins.
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../types';
import type { Graph, Preprocess } from './ir';

export type StoredDtype = 'float32' | 'int32' | 'float16' | 'uint8' | 'uint16' | 'int8';

/** A uniform grid `min + step * q`, q = 0 .. levels - 1, that holds every value of a tensor. */
export interface WeightGrid {
  min: number;
  step: number;
  levels: number;
  /** The values are s * j, |j| <= 2^(k-1) - 1, s = max|W| / (2^(k-1) - 1) for some k (or +-a): the symmetric quantizer's grid (METHOD.md). */
  symmetric: boolean;
}

export interface WeightTensorInfo {
  name: string;
  shape: number[];
  /** How the tensor was stored in the upload (manifest dtype or quantization dtype). */
  storedAs: StoredDtype;
  /** Number of distinct values after decoding. */
  distinct: number;
  /** ceil(log2(distinct)) for kernels on a grid of at most 256 values, else null (treated as float). */
  impliedBits: number | null;
  /** The uniform grid of a kernel with implied bits, else null (also for per-channel grids). */
  grid: WeightGrid | null;
  /** The kernel is on one grid per output channel (last axis), not one per tensor; impliedBits is the largest. */
  perChannel: boolean;
}

export interface LayerInfo {
  name: string;
  className: string;
  /** Tensors it reads: the input's name or other layers' names. */
  inputs: string[];
  outputShape: (number | null)[];
  parameters: number;
}

export interface ModelSummary {
  inputShape: [number, number, number];
  numClasses: number;
  layers: LayerInfo[];
  parameters: number;
  /** Multiply-adds per sample of a forward pass (convolutions and matrix products). */
  macs: number;
  /** Bytes per sample a forward + backward pass keeps (every activation and its gradient, float32); plans use it. */
  activationBytes: number;
  /** A final softmax was removed so that attacks see logits. */
  removedSoftmax: boolean;
  /** How pixels in [0, 1] are mapped to the model's input; null: fed as they are. */
  preprocess: Preprocess | null;
  weights: WeightTensorInfo[];
  /** Largest implied bit width over the weight kernels, null if any kernel is float. */
  bits: number | null;
}

export interface QuantizeOptions {
  /** One scale per output channel instead of one per tensor. */
  perChannel?: boolean;
}

export interface Model extends Classifier {
  readonly summary: ModelSummary;
  /** The graph IR; with `weights` this is everything `forward` needs. */
  readonly graph: Graph;
  /** float32 weights keyed `${node}/${role}` (kernel, depthwise_kernel, bias, gamma, ...). Owned by the model. */
  readonly weights: tf.NamedTensorMap;
  /** The same layers with other weights (same keys and shapes); the tensors are cloned, the caller keeps its own. */
  withWeights(weights: tf.NamedTensorMap): Model;
  /** The k-bit twin (METHOD.md): kernels (dense, conv, depthwise, pointwise) quantized, the rest float. k in 1..8. */
  quantize(bits: number, opts?: QuantizeOptions): Model;
  dispose(): void;
}
