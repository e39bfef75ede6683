// Activation fake quantization (ONNX QuantizeLinear -> DequantizeLinear) and its two backward passes: the
// straight-through estimator of PyTorch's FakeQuantize (the gradient passes where round(x / scale) + zp lies in
// [qmin, qmax], zero where the value is clipped), used by every attack; and BPDA (Athalye et al. 2018: the identity
// everywhere), which the sanity probe also attacks through (model.ts bpdaActivations), so that clipping cannot hide
// adversarial examples.
import * as tf from '@tensorflow/tfjs-core';
import type { Op } from './ir';

type FakeQuant = Extract<Op, { type: 'fakeQuant' }>;

export function fakeQuant(x: tf.Tensor, op: FakeQuant): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const v = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const scale = tf.tensor1d(op.scale);
    const zp = tf.tensor1d(op.zeroPoint);
    const level = tf.add(tf.round(tf.div(v, scale)), zp);
    const q = tf.clipByValue(level, op.qmin, op.qmax);
    save([level]);
    return {
      value: tf.mul(tf.sub(q, zp), scale),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        if (op.backward === 'identity') return dy;
        const inside = tf.logicalAnd(tf.greaterEqual(saved[0]!, op.qmin), tf.lessEqual(saved[0]!, op.qmax));
        return tf.mul(dy, tf.cast(inside, 'float32'));
      },
    };
  });
  return f(x);
}
