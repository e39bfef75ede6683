// The conv and depthwise input gradients and the ReLU / ReLU6 masks of kernels/kernels.c as wasm-backend kernels: tfjs allocates dx, the SIMD
// loop reads dy and the filter where they lie on the heap and writes dx in place (one call instead of Reverse,
// Transpose, the dilating pads and a Conv2D whose one-output-channel case XNNPACK runs at ~2-3 GFLOP/s).
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, Tensor, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernels } from '../kernels';
import { heapOffset, runHeapKernel, type HeapBackend } from './heap';

/** A conv-like input gradient: geometry from the filter, dx allocated by tfjs, one call of the SIMD kernel. */
const inputGradKernel = (depthwise: boolean): KernelFunc => ({ inputs, backend, attrs }) => {
  const b = backend as unknown as HeapBackend;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const xShape = attrs!.xShape as [number, number, number, number];
  const g = tf.backend_util.computeConv2DInfo(xShape, filter.shape as [number, number, number, number],
    attrs!.strides as [number, number], 1, attrs!.pad as 'valid' | 'same', undefined, depthwise);
  const out = b.makeOutput(xShape, 'float32');
  const k = simdKernels()!;
  const head = [heapOffset(b, out), heapOffset(b, dy), heapOffset(b, filter), g.batchSize, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth] as const;
  const tail = [g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.padInfo.top, g.padInfo.left] as const;
  if (depthwise) k.depthwise_input_grad(...head, ...tail);
  else k.conv_input_grad(...head, g.outChannels, ...tail);
  return out;
};
const convInputGradKernel = inputGradKernel(false);
const depthwiseInputGradKernel = inputGradKernel(true);

/** dL/dx of conv2d with our SIMD kernel; call only when simdKernels() is non-null. */
export function convInputGradSimd(dy: Tensor4D, w: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  return runHeapKernel('QauditConvInputGradSimd', convInputGradKernel, { dy, filter: w }, { strides: attrs.strides, pad: attrs.pad, xShape });
}

/** dL/dx of a depthwise conv with channel multiplier 1 by our SIMD kernel; call only when simdKernels() is non-null. */
export function depthwiseInputGradSimd(dy: Tensor4D, w: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  return runHeapKernel('QauditDepthwiseInputGradSimd', depthwiseInputGradKernel, { dy, filter: w }, { strides: attrs.strides, pad: attrs.pad, xShape });
}

const activationGradKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as HeapBackend;
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const out = b.makeOutput(dy.shape, 'float32');
  simdKernels()!.activation_grad(heapOffset(b, out), heapOffset(b, dy), heapOffset(b, y), tf.util.sizeFromShape(dy.shape),
    attrs!.activation === 'relu6' ? 1 : 0);
  return out;
};

/** dy masked by a ReLU's or ReLU6's saved output y in one pass; call only when simdKernels() is non-null. */
export function activationGradSimd(dy: Tensor, y: Tensor, activation: 'relu' | 'relu6'): Tensor {
  return runHeapKernel('QauditActivationGradSimd', activationGradKernel, { dy, y }, { activation });
}
