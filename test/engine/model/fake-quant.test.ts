// Activation fake quantization (ONNX activation QDQ): forward values and the two backward passes, by hand; and the
// sanity probe that attacks such a model through both, with its flag when clipping masks the gradients.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src/engine/backend';
import { fakeQuant } from '../../../src/engine/model/fake-quant';
import { GraphModel, bpdaActivations } from '../../../src/engine/model';
import type { Graph } from '../../../src/engine/model';
import { mergeReport } from '../../../src/engine/audit';
import { Rng } from '../../../src/engine/rng';
import { loadWasm } from '../../wasm';
import { FAST, linearModel, runAll, teacherData } from '../audit/helpers';

beforeAll(async () => initEngine(await loadWasm()));

const OP = { type: 'fakeQuant' as const, scale: [0.25], zeroPoint: [0], qmin: 0, qmax: 8 };

describe('fake quantization of activations', () => {
  it('rounds and clips forward; STE passes the gradient inside [qmin, qmax] only, BPDA everywhere', () => {
    // levels round(x / 0.25) = -4, 0, 2, 40: the first and the last are clipped (to 0 and 8).
    const x = tf.tensor1d([-1, 0.1, 0.5, 10]);
    expect(Array.from(fakeQuant(x, OP).dataSync())).toEqual([0, 0, 0.5, 2]);
    const grad = (op: typeof OP & { backward?: 'identity' }) => Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuant(v, op), tf.tensor1d([1, 2, 3, 4]))))(x).dataSync());
    expect(grad(OP)).toEqual([0, 2, 3, 0]);
    expect(grad({ ...OP, backward: 'identity' })).toEqual([1, 2, 3, 4]);
  });
});

/** linearModel's layers with fake quantization of the logits to [0, 1] (21 levels): large logits saturate. */
function quantizedLogits(seed: number): GraphModel {
  const base = linearModel(seed, 3);
  const graph: Graph = {
    ...base.graph,
    nodes: [...base.graph.nodes, { name: 'fq', className: 'QuantizeLinear', op: { type: 'fakeQuant', scale: [0.05], zeroPoint: [0], qmin: 0, qmax: 20 }, inputs: ['dense'] }],
    output: 'fq',
  };
  const weights: tf.NamedTensorMap = {};
  for (const [k, t] of Object.entries(base.weights)) weights[k] = tf.clone(t);
  base.dispose();
  return new GraphModel(graph, weights);
}

describe('the sanity probe through activation fake quantization', () => {
  it('reports PGD through the estimator and through BPDA, and flags the masking that clipping causes', async () => {
    const model = quantizedLogits(4);
    expect(bpdaActivations(linearModel(4))).toBeNull();
    const data = teacherData(linearModel(4, 3), 48, 6);
    const { settings, ctx, chunks, results } = await runAll(model, data, { ...FAST, attacks: ['pgd'], epsilons: [0.3], bits: [4], limit: 48 });
    const report = mergeReport(settings, model.summary, chunks, results, { name: 'synthetic', total: 48 });
    const rows = report.activationQuantization!;
    // One row per undefended variant: the upload and its twin keep the graph's fake quantization.
    expect(rows.map((r) => r.variant)).toEqual(['float', 'w4']);
    for (const r of rows) {
      expect(r.epsilon).toBe(0.3);
      // Logits clipped to [0, 1] leave the estimator little gradient: BPDA finds more adversarial examples.
      expect(r.bpdaAccuracy).toBeLessThan(r.steAccuracy);
    }
    expect(report.flags.some((f) => f.id === 'activation_quantization_masks')).toBe(true);
    ctx.dispose();
    model.dispose();
  });

  it('adds nothing for a model without activation fake quantization', async () => {
    const model = linearModel(5);
    const data = teacherData(model, 16, new Rng(1, 'x').int(100));
    const { settings, ctx, chunks, results } = await runAll(model, data, { ...FAST, attacks: ['fgsm'], epsilons: [0.1], bits: [4], limit: 16 });
    const report = mergeReport(settings, model.summary, chunks, results, { name: 'synthetic', total: 16 });
    expect(report.activationQuantization).toBeUndefined();
    ctx.dispose();
    model.dispose();
  });
});
