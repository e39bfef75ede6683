// The model as the engine sees it: a classifier with a summary, quantizable into k-bit twins.
import type { Classifier } from '../types';

export type StoredDtype = 'float32' | 'int32' | 'float16' | 'uint8' | 'uint16';

export interface WeightTensorInfo {
  name: string;
  shape: number[];
  /** How the tensor was stored in the upload (manifest dtype or quantization dtype). */
  storedAs: StoredDtype;
  /** Number of distinct values after decoding. */
  distinct: number;
  /** ceil(log2(distinct)) for kernels on a grid of at most 256 values, else null (treated as float). */
  impliedBits: number | null;
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

export interface Model extends Classifier {
  readonly summary: ModelSummary;
  /** The k-bit twin (METHOD.md): kernels quantized, biases and BatchNorm float. k in 1..8. */
  quantize(bits: number, opts?: QuantizeOptions): Model;
  dispose(): void;
}
