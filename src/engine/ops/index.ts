// Layer ops used by every model forward pass. Gradients of these ops must run on wasm kernels only
// (see PLATFORM.md: Conv2DBackpropFilter is missing on wasm, some backprop kernels are slow).
import * as tf from '@tensorflow/tfjs-core';

export type Padding = 'valid' | 'same';

/** NHWC conv, filter [kh, kw, cin, cout]. */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, strides: [number, number], pad: Padding): tf.Tensor4D {
  return tf.conv2d(x, w, strides, pad);
}

/** x [N, in] times w [in, out] plus optional bias [out]. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, w) as tf.Tensor2D;
  return b ? (tf.add(y, b) as tf.Tensor2D) : y;
}

export function maxPool(x: tf.Tensor4D, pool: [number, number], strides: [number, number], pad: Padding): tf.Tensor4D {
  return tf.maxPool(x, pool, strides, pad);
}

export function avgPool(x: tf.Tensor4D, pool: [number, number], strides: [number, number], pad: Padding): tf.Tensor4D {
  return tf.avgPool(x, pool, strides, pad);
}
