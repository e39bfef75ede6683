// The model as the engine sees it: a classifier with a summary, quantizable into k-bit twins.
import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../types';
import type { Padding } from '../ops';

export type StoredDtype = 'float32' | 'int32' | 'float16' | 'uint8' | 'uint16';

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
  outputShape: (number | null)[];
  parameters: number;
}

export interface ModelSummary {
  inputShape: [number, number, number];
  numClasses: number;
  layers: LayerInfo[];
  parameters: number;
  /** A final softmax was removed so that attacks see logits. */
  removedSoftmax: boolean;
  weights: WeightTensorInfo[];
  /** Largest implied bit width over the weight kernels, null if any kernel is float. */
  bits: number | null;
}

export interface QuantizeOptions {
  /** One scale per output channel instead of one per tensor. */
  perChannel?: boolean;
}

export type ActivationName =
  | 'linear'
  | 'relu'
  | 'relu6'
  | 'sigmoid'
  | 'tanh'
  | 'softmax'
  | 'elu'
  | 'selu'
  | 'softplus'
  | 'swish';

interface LayerBase {
  /** Keras layer name: weights are keyed `${name}/kernel` etc. */
  name: string;
  /** Keras class name as uploaded (for the summary). */
  className: string;
}

/** One layer of a single-chain model, in the engine's normalized form (channels_last only). */
export type LayerSpec =
  | (LayerBase & { kind: 'dense'; units: number; activation: ActivationName; useBias: boolean })
  | (LayerBase & {
      kind: 'conv2d';
      filters: number;
      kernelSize: [number, number];
      strides: [number, number];
      padding: Padding;
      activation: ActivationName;
      useBias: boolean;
    })
  | (LayerBase & { kind: 'pool'; op: 'max' | 'avg'; poolSize: [number, number]; strides: [number, number]; padding: Padding })
  | (LayerBase & { kind: 'flatten' })
  | (LayerBase & { kind: 'reshape'; targetShape: number[] })
  | (LayerBase & { kind: 'dropout'; rate: number })
  | (LayerBase & { kind: 'activation'; activation: ActivationName })
  | (LayerBase & { kind: 'batchNorm'; axis: number; epsilon: number; center: boolean; scale: boolean });

export interface ModelSpec {
  name: string;
  /** The image shape the classifier accepts (NHWC without N). */
  inputShape: [number, number, number];
  /** The model's own input shape without the batch axis (e.g. [784] for an MLP); x is reshaped to it. */
  rawInputShape: number[];
  layers: LayerSpec[];
  removedSoftmax: boolean;
}

export interface Model extends Classifier {
  readonly summary: ModelSummary;
  /** Normalized layers; with `weights` this is everything `forward` needs. */
  readonly spec: ModelSpec;
  /** float32 weights keyed `${layer}/${kind}` (kernel, bias, gamma, beta, moving_mean, moving_variance). Owned by the model. */
  readonly weights: tf.NamedTensorMap;
  /** The same layers with other weights (same keys and shapes); the tensors are cloned, the caller keeps its own. */
  withWeights(weights: tf.NamedTensorMap): Model;
  /** The k-bit twin (METHOD.md): kernels quantized, biases and BatchNorm float. k in 1..8. */
  quantize(bits: number, opts?: QuantizeOptions): Model;
  dispose(): void;
}
