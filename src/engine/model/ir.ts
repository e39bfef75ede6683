// The graph IR every model format becomes: nodes (ops with attributes and weight roles), tensors named by the node
// that makes them, one image input, one logits output. Importers produce it; the executor, the twins, the summary
// and the memory plan only see this.

/** Explicit spatial padding [top, bottom, left, right], or TensorFlow's 'valid' / 'same' rules. */
export type Pad2D = 'valid' | 'same' | [number, number, number, number];

/** Pointwise activations with their parameters (Keras semantics; hardSigmoid's form is named by `keras3`). */
export type Act =
  | { fn: 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'softmax' | 'selu' | 'softplus' | 'swish' | 'gelu' | 'exponential' | 'softsign' }
  /** relu(x) with max_value, negative_slope below threshold (Keras ReLU layer). */
  | { fn: 'reluX'; max: number | null; slope: number; threshold: number }
  | { fn: 'leaky'; alpha: number }
  | { fn: 'elu'; alpha: number }
  /** Keras 2 / tfjs: clip(0.2 x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6. */
  | { fn: 'hardSigmoid'; keras3: boolean }
  /** x * relu6(x + 3) / 6 (Keras 3 hard_silu / hard_swish). */
  | { fn: 'hardSwish' };

export type MergeMode = 'add' | 'sub' | 'mul' | 'avg' | 'max' | 'min';

/** An op and its attributes. Weights are looked up as `${node.name}/${role}` for the roles `slots()` lists. */
export type Op =
  | { type: 'conv2d'; filters: number; kernel: [number, number]; strides: [number, number]; dilations: [number, number]; padding: Pad2D; groups: number; useBias: boolean; act: Act }
  | { type: 'depthwise'; multiplier: number; kernel: [number, number]; strides: [number, number]; dilations: [number, number]; padding: Pad2D; useBias: boolean; act: Act }
  /** Depthwise then 1x1 pointwise conv (Keras SeparableConv2D). */
  | { type: 'separable'; filters: number; multiplier: number; kernel: [number, number]; strides: [number, number]; dilations: [number, number]; padding: Pad2D; useBias: boolean; act: Act }
  /** Matrix product over the last axis (any rank). */
  | { type: 'dense'; units: number; useBias: boolean; act: Act }
  /** Explicit pads: -inf for max (ONNX, padded cells never win), zeros counted in the average (count_include_pad). */
  | { type: 'pool'; mode: 'max' | 'avg'; size: [number, number]; strides: [number, number]; padding: Pad2D }
  | { type: 'globalPool'; mode: 'max' | 'avg'; keepdims: boolean }
  | { type: 'pad'; pads: [number, number, number, number] }
  | { type: 'crop'; crop: [number, number, number, number] }
  | { type: 'act'; act: Act }
  /** max(0, x) + alpha * min(0, x), alpha broadcast over `sharedAxes` (1-based, batch excluded). */
  | { type: 'prelu'; sharedAxes: number[] }
  | { type: 'batchNorm'; epsilon: number; center: boolean; scale: boolean }
  /** Over the last axis (Keras' default axis -1). */
  | { type: 'layerNorm'; epsilon: number; center: boolean; scale: boolean }
  /** y = x * scale + offset, scalars or per last-axis channel (Keras Rescaling; a preprocessing mapping). */
  | { type: 'affine'; scale: number[]; offset: number[] }
  /** y = (x - mean) / sqrt(variance), per last-axis channel, from weights `mean`, `variance` (Keras Normalization). */
  | { type: 'normalize'; epsilon: number }
  | { type: 'merge'; mode: MergeMode }
  /** `axis` counts the non-batch axes from 0; negative from the end. */
  | { type: 'concat'; axis: number }
  | { type: 'reshape'; shape: number[] }
  | { type: 'flatten' }
  /** Keras Permute dims: 1-based, batch excluded. */
  | { type: 'permute'; dims: number[] }
  | { type: 'upsample'; size: [number, number]; interpolation: 'nearest' | 'bilinear' }
  | { type: 'identity' }
  /**
   * Fake quantization of activations (ONNX QuantizeLinear -> DequantizeLinear): forward (clip(round(x / scale) + zp,
   * qmin, qmax) - zp) * scale, scalars or per last-axis channel; backward the straight-through estimator of
   * PyTorch's FakeQuantize (zero where clipped), or the identity (`backward: 'identity'`, BPDA: set only by
   * fake-quant.ts bpdaActivations for the sanity probe).
   */
  | { type: 'fakeQuant'; scale: number[]; zeroPoint: number[]; qmin: number; qmax: number; backward?: 'identity' };

export type OpType = Op['type'];

export interface Node {
  /** Unique; also the name of the tensor it outputs and the prefix of its weights. */
  name: string;
  /** The source format's class or op name, for the summary and for errors. */
  className: string;
  op: Op;
  /** Names of the tensors it reads: the graph input's name or other nodes' names. */
  inputs: string[];
}

/**
 * How pixels in [0, 1] become what the model expects, applied before its first op: epsilon and clipping stay in
 * pixel units. 'affine': x * scale + offset; 'standardize': (x - mean) / std, both scalars or per channel.
 */
export type Preprocess =
  | { kind: 'affine'; scale: number[]; offset: number[] }
  | { kind: 'standardize'; mean: number[]; std: number[] };

export interface Graph {
  name: string;
  /** The input tensor's name and its shape without the batch axis, as the model declares it. */
  input: { name: string; shape: number[] };
  /** The image shape [H, W, C] the classifier takes (x is reshaped to `input.shape`). */
  imageShape: [number, number, number];
  /** Topological order: every input of a node is the graph input or made by an earlier node. */
  nodes: Node[];
  /** The tensor holding the logits. */
  output: string;
  /** A final softmax was removed so that attacks see logits. */
  removedSoftmax: boolean;
  preprocess: Preprocess | null;
}

/** Weight roles. Kernels are quantized by the twins; the rest stay float (METHOD.md). */
export type WeightRole =
  | 'kernel' | 'depthwise_kernel' | 'pointwise_kernel' | 'bias'
  | 'gamma' | 'beta' | 'moving_mean' | 'moving_variance' | 'alpha' | 'mean' | 'variance';

export const KERNEL_ROLES: readonly WeightRole[] = ['kernel', 'depthwise_kernel', 'pointwise_kernel'];
export const WEIGHT_ROLES: readonly WeightRole[] = [...KERNEL_ROLES, 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance', 'alpha', 'mean', 'variance'];

/** True for a weight key `${node}/${role}` whose role is a kernel. */
export const isKernelKey = (key: string): boolean => KERNEL_ROLES.some((r) => key.endsWith(`/${r}`));

/**
 * Output channels of a kernel, the grouping of per-channel quantization: the last axis, except for a depthwise
 * kernel [kh, kw, C, m], whose output channel c*m + j spans the last two axes (element i is in channel i % that).
 */
export function kernelChannels(key: string, shape: readonly number[]): number {
  const n = shape.length;
  return key.endsWith('/depthwise_kernel') && n === 4 ? shape[2]! * shape[3]! : shape[n - 1]!;
}
