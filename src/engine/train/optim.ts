// SGD with momentum and Adam on explicit slot tensors, so that a checkpoint holds the whole optimizer state.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from '../errors';

export type OptimizerConfig =
  | { name: 'sgd'; learningRate: number; momentum: number }
  | { name: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number };

/** Everything an optimizer carries between updates; slots keyed `${param}/${slot}`, sorted when exported. */
export interface OptimizerState {
  name: OptimizerConfig['name'];
  /** Updates applied so far (Adam's bias correction uses it). */
  step: number;
  slots: Record<string, Float32Array>;
}

/**
 * SGD (PyTorch's convention): v = mu v + g, w = w - lr v.
 * Adam (Kingma & Ba 2015, Algorithm 1): m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
 * w = w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), t counting from 1.
 */
export class Optimizer {
  private slots = new Map<string, tf.Tensor>();
  private step = 0;
  private lr: number;

  constructor(readonly config: OptimizerConfig, state?: OptimizerState) {
    this.lr = config.learningRate;
    if (!state) return;
    expect(state.name === config.name, 'invalid_argument', `expected optimizer state for ${config.name}, got ${state.name}`);
    this.step = state.step;
    for (const [k, v] of Object.entries(state.slots)) this.slots.set(k, tf.keep(tf.tensor(v)));
  }

  /** Returns the updated parameters (new tensors; the caller keeps and disposes the old ones). `lrScale` multiplies the learning rate (schedules). */
  apply(params: tf.NamedTensorMap, grads: tf.NamedTensorMap, lrScale = 1): tf.NamedTensorMap {
    this.step += 1;
    this.lr = this.config.learningRate * lrScale;
    const out: tf.NamedTensorMap = {};
    for (const key of Object.keys(grads).sort()) {
      const w = params[key];
      expect(w !== undefined, 'invalid_argument', `expected parameter '${key}' for its gradient, got none`);
      out[key] = tf.keep(tf.tidy(() => this.update(key, w, grads[key]!)));
    }
    return out;
  }

  /** Imported slots are flat (the state holds plain arrays): shaped like their parameter here. */
  private slot(key: string, name: string, like: tf.Tensor): tf.Tensor {
    const t = this.slots.get(`${key}/${name}`);
    if (!t) return tf.zerosLike(like);
    expect(t.size === like.size, 'invalid_argument', `expected optimizer slot '${key}/${name}' of ${like.size} values, got ${t.size}`);
    return tf.reshape(t, like.shape);
  }

  private setSlot(key: string, name: string, t: tf.Tensor): void {
    const k = `${key}/${name}`;
    this.slots.get(k)?.dispose();
    this.slots.set(k, tf.keep(t));
  }

  private update(key: string, w: tf.Tensor, g: tf.Tensor): tf.Tensor {
    const c = this.config;
    if (c.name === 'sgd') {
      const v = tf.add(tf.mul(this.slot(key, 'momentum', w), c.momentum), g);
      this.setSlot(key, 'momentum', v);
      return tf.sub(w, tf.mul(v, this.lr));
    }
    const m = tf.add(tf.mul(this.slot(key, 'm', w), c.beta1), tf.mul(g, 1 - c.beta1));
    const v = tf.add(tf.mul(this.slot(key, 'v', w), c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
    this.setSlot(key, 'm', m);
    this.setSlot(key, 'v', v);
    const mHat = tf.div(m, 1 - c.beta1 ** this.step);
    const vHat = tf.div(v, 1 - c.beta2 ** this.step);
    return tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), c.epsilon)), this.lr));
  }

  exportState(): OptimizerState {
    const slots: Record<string, Float32Array> = {};
    for (const k of [...this.slots.keys()].sort()) slots[k] = this.slots.get(k)!.dataSync().slice() as Float32Array;
    return { name: this.config.name, step: this.step, slots };
  }

  static importState(config: OptimizerConfig, state: OptimizerState): Optimizer {
    return new Optimizer(config, state);
  }

  dispose(): void {
    for (const t of this.slots.values()) t.dispose();
    this.slots.clear();
  }
}
