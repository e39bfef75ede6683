// Executor-level rewrite: inference BatchNorm folded into the conv / depthwise / separable / dense before it, and a
// following ReLU / ReLU6 into that op's fused activation. The folded weights are computed from the current weights
// on every call (a few small per-channel ops), so twins and weight gradients stay exact through the fold.
import * as tf from '@tensorflow/tfjs-core';
import { consumers } from './graph';
import type { Act, Graph, Node, Op } from './ir';
import type { WeightOf } from './kernels';

type Linear = Extract<Op, { type: 'conv2d' | 'depthwise' | 'separable' | 'dense' }>;

/** One node to run: the graph's own, or a fused one reading `weights` (folded tensors made per call). */
export interface Step {
  node: Node;
  /** null: the node's own weights `${node.name}/${role}`. */
  fold: { source: Node; bn: Node | null } | null;
}

const LINEAR = new Set(['conv2d', 'depthwise', 'separable', 'dense']);

/** Activations the fused conv kernels apply in their output loop and whose gradient ops/conv.ts knows. */
function fusable(a: Act): Act | null {
  if (a.fn === 'relu' || a.fn === 'relu6') return a;
  if (a.fn === 'reluX' && a.slope === 0 && a.threshold === 0 && (a.max === null || a.max === 6)) return { fn: a.max === null ? 'relu' : 'relu6' };
  return null;
}

const plans = new WeakMap<Graph, Step[]>();

/** The steps of `g` with BatchNorm and ReLU folded where the folded op has the fused node's output as its only use. */
export function fusePlan(g: Graph): Step[] {
  const cached = plans.get(g);
  if (cached) return cached;
  const uses = consumers(g);
  const byInput = new Map<string, Node>();
  for (const n of g.nodes) for (const i of n.inputs) byInput.set(i, n);
  // A tensor can be folded away when exactly one node reads it and it is not the logits.
  const soleReader = (name: string): Node | undefined => (uses.get(name) === 1 && name !== g.output ? byInput.get(name) : undefined);
  const skip = new Set<Node>();
  const steps: Step[] = [];
  for (const node of g.nodes) {
    if (skip.has(node)) continue;
    if (!LINEAR.has(node.op.type) || (node.op as Linear).act.fn !== 'linear') {
      steps.push({ node, fold: null });
      continue;
    }
    let op = { ...(node.op as Linear) };
    let last = node;
    let bn: Node | null = null;
    const next = soleReader(node.name);
    if (next?.op.type === 'batchNorm') {
      bn = next;
      last = next;
      op = { ...op, useBias: true } as Linear;
    }
    const after = soleReader(last.name);
    const act = after?.op.type === 'act' && op.type !== 'dense' ? fusable(after.op.act) : null;
    if (act) {
      last = after!;
      op = { ...op, act } as Linear;
    }
    if (last === node) {
      steps.push({ node, fold: null });
      continue;
    }
    if (bn) skip.add(bn);
    if (act) skip.add(after!);
    steps.push({ node: { ...node, name: last.name, op }, fold: { source: node, bn } });
  }
  plans.set(g, steps);
  return steps;
}

/** The kernel role a BatchNorm scales: its last axis is the output channel (depthwise: the last two). */
const scaledRole = (op: Op): string => (op.type === 'depthwise' ? 'depthwise_kernel' : op.type === 'separable' ? 'pointwise_kernel' : 'kernel');

/**
 * Weights of a fused step: with f = gamma / sqrt(var + eps), kernel * f on the output channels and
 * bias (b - mean) * f + beta; without a BatchNorm, the source node's own weights. Not tidied: it sits inside
 * tf.grad when weights are differentiated, and the executor's callers tidy.
 */
export function foldedWeights(step: Step, own: (node: string) => WeightOf, cache: tf.NamedTensorMap | null): WeightOf {
  const src = own(step.fold!.source.name);
  const bnNode = step.fold!.bn;
  if (!bnNode) return src;
  const bn = bnNode.op as Extract<Op, { type: 'batchNorm' }>;
  const bw = own(bnNode.name);
  const op = step.fold!.source.op as Linear;
  const role = scaledRole(op);
  const k = src(role);
  const deps = [k, ...(op.useBias ? [src('bias')] : []), ...BN_ROLES.filter((r) => r !== 'gamma' || bn.scale).filter((r) => r !== 'beta' || bn.center).map((r) => bw(r))];
  if (cache) {
    const hit = cached(cache, step.node.name, deps);
    if (hit) return (r) => (r === role ? hit[0] : r === 'bias' ? hit[1] : src(r));
  }
  let f = tf.rsqrt(tf.add(bw('moving_variance'), bn.epsilon));
  if (bn.scale) f = tf.mul(f, bw('gamma'));
  // Depthwise output channel c*m + j is kernel element [.., c, j]: f reshaped to [C, m] lines up with it.
  const kernel = tf.mul(k, op.type === 'depthwise' ? tf.reshape(f, k.shape.slice(-2)) : f);
  let bias = op.useBias ? tf.mul(tf.sub(src('bias'), bw('moving_mean')), f) : tf.mul(tf.neg(bw('moving_mean')), f);
  if (bn.center) bias = tf.add(bias, bw('beta'));
  if (cache) remember(cache, step.node.name, deps, [kernel, bias]);
  return (r) => (r === role ? kernel : r === 'bias' ? bias : src(r));
}

const BN_ROLES = ['moving_variance', 'moving_mean', 'gamma', 'beta'];

/**
 * Folded weights kept between forward passes outside a gradient (Square's queries, clean accuracy): at batch 1 the
 * ~8 small fold ops per layer cost more than the BatchNorm they replace. Keyed by the weight map, valid while every
 * source tensor keeps its data (a Variable's assign changes it); the weight map's owner frees them (releaseFolded).
 */
const caches = new WeakMap<tf.NamedTensorMap, Map<string, { deps: object[]; out: [tf.Tensor, tf.Tensor] }>>();

function cached(weights: tf.NamedTensorMap, name: string, deps: tf.Tensor[]): [tf.Tensor, tf.Tensor] | null {
  const e = caches.get(weights)?.get(name);
  if (!e || e.out[0].isDisposed || e.deps.length !== deps.length || deps.some((d, i) => d.dataId !== e.deps[i])) return null;
  return e.out;
}

function remember(weights: tf.NamedTensorMap, name: string, deps: tf.Tensor[], out: [tf.Tensor, tf.Tensor]): void {
  let m = caches.get(weights);
  if (!m) caches.set(weights, (m = new Map()));
  const old = m.get(name);
  if (old) tf.dispose(old.out);
  m.set(name, { deps: deps.map((d) => d.dataId), out: [tf.keep(out[0]), tf.keep(out[1])] });
}

/** Folds every BatchNorm of `g` into the cache of `weights` now (a model does it when made, not on its first call). */
export function prefold(g: Graph, weights: tf.NamedTensorMap): void {
  const own = (node: string): WeightOf => (role) => weights[`${node}/${role}`]!;
  tf.tidy(() => {
    for (const step of fusePlan(g)) if (step.fold?.bn) foldedWeights(step, own, weights);
  });
}

/** Frees the folded weights kept for `weights` (call when disposing them). */
export function releaseFolded(weights: tf.NamedTensorMap): void {
  for (const e of caches.get(weights)?.values() ?? []) tf.dispose(e.out);
  caches.delete(weights);
}
