// The executor's BatchNorm / ReLU fusion against the unfused graph: logits to 1e-5 relative, input and weight
// gradients to 1e-4, and what must not be fused (a BatchNorm or conv output with two readers, the logits).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { forward } from '../../../src/engine/model/execute';
import { fusePlan, releaseFolded } from '../../../src/engine/model/fuse';
import type { Graph, Node, Op } from '../../../src/engine/model/ir';
import { analyze } from '../../../src/engine/model/graph';

beforeAll(async () => initEngine(await loadWasm()));

const conv = (filters: number, k: number, strides: number, useBias: boolean): Op =>
  ({ type: 'conv2d', filters, kernel: [k, k], strides: [strides, strides], dilations: [1, 1], padding: 'same', groups: 1, useBias, act: { fn: 'linear' } });
const dw = (multiplier: number, strides: number): Op =>
  ({ type: 'depthwise', multiplier, kernel: [3, 3], strides: [strides, strides], dilations: [1, 1], padding: 'valid', useBias: false, act: { fn: 'linear' } });
const bn: Op = { type: 'batchNorm', epsilon: 1e-3, center: true, scale: true };
const n = (name: string, op: Op, ...inputs: string[]): Node => ({ name, className: op.type, op, inputs });

/** conv+BN+ReLU6, depthwise (multiplier 2, stride 2)+BN+ReLU, separable+BN, a BN read twice, dense+BN, conv+ReLU. */
function graph(): Graph {
  const nodes: Node[] = [
    n('c1', conv(4, 3, 1, true), 'x'), n('b1', bn, 'c1'), n('r1', { type: 'act', act: { fn: 'relu6' } }, 'b1'),
    n('d1', dw(2, 2), 'r1'), n('b2', bn, 'd1'), n('r2', { type: 'act', act: { fn: 'reluX', max: null, slope: 0, threshold: 0 } }, 'b2'),
    n('s1', { type: 'separable', filters: 5, multiplier: 1, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], padding: 'same', useBias: true, act: { fn: 'linear' } }, 'r2'),
    n('b3', bn, 's1'), n('r3', { type: 'act', act: { fn: 'relu' } }, 'b3'), n('t', { type: 'act', act: { fn: 'tanh' } }, 'b3'),
    n('m', { type: 'merge', mode: 'add' }, 'r3', 't'),
    n('c2', conv(6, 1, 1, false), 'm'), n('r4', { type: 'act', act: { fn: 'relu' } }, 'c2'),
    n('f', { type: 'flatten' }, 'r4'), n('fc', { type: 'dense', units: 4, useBias: false, act: { fn: 'linear' } }, 'f'), n('b4', bn, 'fc'),
  ];
  return { name: 'fuse', input: { name: 'x', shape: [9, 9, 3] }, imageShape: [9, 9, 3], nodes, output: 'b4', removedSoftmax: false, preprocess: null };
}

function weights(g: Graph): tf.NamedTensorMap {
  let seed = 1;
  const w: tf.NamedTensorMap = {};
  for (const s of analyze(g).slots) {
    const [lo, hi] = s.key.endsWith('variance') ? [0.5, 1.5] : [-0.6, 0.6];
    w[s.key] = tf.randomUniform(s.shape, lo, hi, 'float32', seed++);
  }
  return w;
}

const relErr = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(tf.max(tf.abs(b)).dataSync()[0]!, 1e-12));

describe('BatchNorm and ReLU fusion', () => {
  it('folds what has one reader and leaves the rest', () => {
    const steps = fusePlan(graph());
    const fused = steps.filter((s) => s.fold).map((s) => `${s.fold!.source.name}->${s.node.name}:${'act' in s.node.op ? s.node.op.act.fn : ''}`);
    // b3 has two readers (ReLU and tanh): s1 takes the BatchNorm but not the ReLU. The dense ends in the logits.
    expect(fused).toEqual(['c1->r1:relu6', 'd1->r2:relu', 's1->b3:linear', 'c2->r4:relu', 'fc->b4:linear']);
  });

  it('gives the unfused logits and gradients', () => {
    const g = graph();
    const w = weights(g);
    const x = tf.randomUniform([3, 9, 9, 3], 0, 1, 'float32', 99) as tf.Tensor4D;
    const [a, b] = [true, false].map((f) => tf.tidy(() => forward(g, w, x, f)));
    expect(relErr(a!, b!)).toBeLessThan(1e-5);
    const loss = (f: boolean) => (v: tf.Tensor) => tf.sum(tf.square(forward(g, w, v as tf.Tensor4D, f)));
    const [ga, gb] = [true, false].map((f) => tf.grad(loss(f))(x));
    expect(relErr(ga!, gb!)).toBeLessThan(1e-4);
    const vars = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, tf.variable(t, true, `fuse_${k.replace('/', '_')}`)]));
    const vg = (f: boolean) => tf.variableGrads(() => tf.sum(tf.square(forward(g, vars, x, f))) as tf.Scalar).grads;
    const [wa, wb] = [vg(true), vg(false)];
    expect(Object.keys(wa).sort()).toEqual(Object.keys(wb).sort());
    for (const k of Object.keys(wb)) expect(relErr(wa[k]!, wb[k]!), k).toBeLessThan(1e-4);
    // Outside a gradient the folded weights are kept: a second pass makes no tensor; a Variable's new value refolds.
    const before = tf.memory().numTensors;
    tf.tidy(() => forward(g, w, x)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.tidy(() => forward(g, vars, x)).dispose();
    vars['c1/kernel']!.assign(tf.mul(vars['c1/kernel']!, -2));
    vars['b2/moving_mean']!.assign(tf.add(vars['b2/moving_mean']!, 0.5));
    const [c, d] = [true, false].map((f) => tf.tidy(() => forward(g, vars, x, f)));
    expect(relErr(c!, d!)).toBeLessThan(1e-5);
    expect(relErr(c!, a!)).toBeGreaterThan(1e-2);
    releaseFolded(w);
    releaseFolded(vars);
    tf.dispose([c!, d!]);
    tf.dispose([a!, b!, ga!, gb!, x, ...Object.values(vars), ...Object.values(w), ...Object.values(wa), ...Object.values(wb)]);
  });
});
