// The executor: images in [0, 1] -> preprocessing -> the graph's nodes in topological order -> logits. Outside a
// gradient, each tensor is freed after its last consumer, so a forward pass holds only the live frontier.
import * as tf from '@tensorflow/tfjs-core';
import { consumers } from './graph';
import type { Graph, Preprocess } from './ir';
import { foldedWeights, fusePlan, type Step } from './fuse';
import { runNode } from './kernels';

function preprocess(x: tf.Tensor, p: Preprocess | null): tf.Tensor {
  if (!p) return x;
  if (p.kind === 'affine') return tf.add(tf.mul(x, tf.tensor1d(p.scale)), tf.tensor1d(p.offset));
  return tf.div(tf.sub(x, tf.tensor1d(p.mean)), tf.tensor1d(p.std));
}

const recording = (): boolean => (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;

function weightOf(weights: tf.NamedTensorMap, node: string) {
  return (role: string): tf.Tensor => {
    const w = weights[`${node}/${role}`];
    if (!w) throw new Error(`expected weight '${node}/${role}' in the weight map, got none`);
    return w;
  };
}

/**
 * Logits [N, classes] for images x [N, H, W, C] in [0, 1]. Not wrapped in tf.tidy, so that it can sit inside
 * tf.grad / tf.variableGrads; callers tidy. `weights` are keyed `${node}/${role}`. BatchNorm and ReLU are fused
 * into the op before them (fuse.ts) unless `fuse` is false (the reference the tests compare the fused run with).
 */
export function forward(g: Graph, weights: tf.NamedTensorMap, x: tf.Tensor4D, fuse = true): tf.Tensor2D {
  const steps: Step[] = fuse ? fusePlan(g) : g.nodes.map((node) => ({ node, fold: null }));
  const own = (name: string) => weightOf(weights, name);
  const free = !recording();
  const left = consumers(g);
  const values = new Map<string, tf.Tensor>();
  // Identity ops alias their input: a tensor is freed when no live name refers to it.
  const names = new Map<tf.Tensor, number>();
  const bind = (name: string, t: tf.Tensor) => (values.set(name, t), names.set(t, (names.get(t) ?? 0) + 1));
  const release = (name: string) => {
    const t = values.get(name)!;
    values.delete(name);
    const k = names.get(t)! - 1;
    names.set(t, k);
    if (k === 0 && t !== x) t.dispose();
  };
  bind(g.input.name, tf.reshape(preprocess(x, g.preprocess), [x.shape[0], ...g.input.shape]));
  for (const step of steps) {
    const node = step.node;
    bind(node.name, runNode(node, node.inputs.map((i) => values.get(i)!), step.fold ? foldedWeights(step, own, free ? weights : null) : own(node.name)));
    if (!free) continue;
    for (const i of node.inputs) {
      const n = left.get(i)! - 1;
      left.set(i, n);
      if (n === 0 && i !== g.output) release(i);
    }
  }
  return values.get(g.output) as tf.Tensor2D;
}
