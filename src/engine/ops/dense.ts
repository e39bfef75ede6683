// Dense layer whose matMul gradients use explicit transposes: wasm's BatchMatMul with a
// transposed operand is ~10x slower than transposing first (PLATFORM.md).
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { runOp, type OpSpec } from './kernel';

const matMulSpec: OpSpec = {
  name: 'QauditMatMul',
  stock: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  grad: (dy, [a, b]) => ({
    a: () => tf.matMul(dy as Tensor, tf.transpose(b)),
    b: () => tf.matMul(tf.transpose(a), dy as Tensor),
  }),
};

/** x [N, in] times w [in, out]: the stock BatchMatMul kernel, with fast gradients. */
export function matMul(x: Tensor2D, w: Tensor2D): Tensor2D {
  return runOp<Tensor2D>(matMulSpec, { a: x, b: w }, { transposeA: false, transposeB: false });
}

/** x [N, in] times w [in, out] plus optional bias [out]; the bias gradient is stock Add's (a sum). */
export function dense(x: Tensor2D, w: Tensor2D, b?: Tensor1D): Tensor2D {
  const y = matMul(x, w);
  return b ? (tf.add(y, b) as Tensor2D) : y;
}
