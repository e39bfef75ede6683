// The pure forward pass: layer specs + weights -> logits, built on src/engine/ops so their fast gradients apply.
import * as tf from '@tensorflow/tfjs-core';
import { avgPool, conv2d, dense, maxPool } from '../ops';
import type { ActivationName, LayerSpec, ModelSpec } from './types';

export function activate(x: tf.Tensor, a: ActivationName): tf.Tensor {
  switch (a) {
    case 'linear': return x;
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'softmax': return tf.softmax(x);
    case 'elu': return tf.elu(x);
    case 'selu': return tf.selu(x);
    case 'softplus': return tf.softplus(x);
    case 'swish': return tf.mul(x, tf.sigmoid(x));
  }
}

function weight(weights: tf.NamedTensorMap, key: string): tf.Tensor {
  const w = weights[key];
  if (!w) throw new Error(`expected weight '${key}' in the weight map, got none`);
  return w;
}

function batchNorm(x: tf.Tensor, l: LayerSpec & { kind: 'batchNorm' }, w: tf.NamedTensorMap): tf.Tensor {
  const mean = weight(w, `${l.name}/moving_mean`);
  const variance = weight(w, `${l.name}/moving_variance`);
  // Inference form: gamma * (x - mean) / sqrt(var + eps) + beta.
  let factor = tf.rsqrt(tf.add(variance, l.epsilon));
  if (l.scale) factor = tf.mul(factor, weight(w, `${l.name}/gamma`));
  const y = tf.mul(tf.sub(x, mean), factor);
  return l.center ? tf.add(y, weight(w, `${l.name}/beta`)) : y;
}

function applyLayer(x: tf.Tensor, l: LayerSpec, w: tf.NamedTensorMap): tf.Tensor {
  switch (l.kind) {
    case 'dense': {
      const b = l.useBias ? (weight(w, `${l.name}/bias`) as tf.Tensor1D) : undefined;
      return activate(dense(x as tf.Tensor2D, weight(w, `${l.name}/kernel`) as tf.Tensor2D, b), l.activation);
    }
    case 'conv2d': {
      const kernel = weight(w, `${l.name}/kernel`) as tf.Tensor4D;
      const bias = l.useBias ? (weight(w, `${l.name}/bias`) as tf.Tensor1D) : undefined;
      // Bias and ReLU fused into the conv's output loop: one kernel instead of three, forward and backward.
      if (l.activation === 'relu' || l.activation === 'linear') return conv2d(x as tf.Tensor4D, kernel, l.strides, l.padding, { bias, activation: l.activation });
      const y = conv2d(x as tf.Tensor4D, kernel, l.strides, l.padding);
      return activate(bias ? tf.add(y, bias) : y, l.activation);
    }
    case 'pool':
      return (l.op === 'max' ? maxPool : avgPool)(x as tf.Tensor4D, l.poolSize, l.strides, l.padding);
    case 'flatten':
      return tf.reshape(x, [x.shape[0], -1]);
    case 'reshape':
      return tf.reshape(x, [x.shape[0], ...l.targetShape]);
    case 'dropout':
      return x;
    case 'activation':
      return activate(x, l.activation);
    case 'batchNorm':
      return batchNorm(x, l, w);
  }
}

/**
 * Logits [N, classes] for images x [N, H, W, C]. Not wrapped in tf.tidy, so that it can sit inside
 * tf.grad / tf.variableGrads; callers tidy. `weights` are keyed `${layer}/${kind}`.
 */
export function forward(spec: Pick<ModelSpec, 'rawInputShape' | 'layers'>, weights: tf.NamedTensorMap, x: tf.Tensor4D): tf.Tensor2D {
  let h: tf.Tensor = tf.reshape(x, [x.shape[0], ...spec.rawInputShape]);
  for (const layer of spec.layers) h = applyLayer(h, layer, weights);
  return h as tf.Tensor2D;
}
