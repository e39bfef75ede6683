import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { ReportSchema, mergeReport } from '../../../src/engine/audit';
import type { AuditSettingsInput, Report } from '../../../src/engine/audit';
import type { Model } from '../../../src/engine/model/types';
import type { Dataset } from '../../../src/engine/data/types';
import type { Classifier } from '../../../src/engine/types';
import { FAST, linearModel, runAll, teacherData } from './helpers';

const N = 16;

describe('audit of defended and quantized uploads', () => {
  let float: Model;
  let data: Dataset;
  beforeAll(async () => {
    await initEngine(await loadWasm());
    float = linearModel(3, 4);
    data = teacherData(float, N);
  });
  afterAll(() => float.dispose());

  async function audit(model: Model, input: AuditSettingsInput, surrogate?: Classifier): Promise<Report> {
    const before = tf.memory().numTensors;
    const { settings, ctx, chunks, results } = await runAll(model, data, { ...FAST, limit: N, ...input }, surrogate);
    ctx.dispose();
    expect(tf.memory().numTensors).toBe(before); // twins freed, nothing leaked by any chunk
    return ReportSchema.parse(mergeReport(settings, model.summary, chunks, results, { name: data.name, total: N }, { surrogate: !!surrogate }));
  }

  it('reports plain and adaptive rows behind a defense, and a headline over the defended ones', { timeout: 60_000 }, async () => {
    const r = await audit(float, { bits: [4], attacks: ['pgd', 'square', 'transfer'], epsilons: [0.3], defense: { mapping: 'staircase' } });
    const keys = r.rows.filter((x) => x.variant === 'w4').map((x) => `${x.attack}/${x.defense}/${x.adaptive}`);
    expect(keys).toEqual([
      'pgd/none/false', 'square/none/false', 'transfer/none/false',
      'pgd/staircase/false', 'square/staircase/false', 'transfer/staircase/false',
      'pgd/staircase/true',
    ]);
    // The float model behind the mapping is another classifier: it gets a transfer row, the bare float does not.
    expect(r.rows.filter((x) => x.variant === 'float' && x.attack === 'transfer').map((x) => x.defense)).toEqual(['staircase']);
    expect(r.clean.map((c) => `${c.variant}/${c.defense}`)).toEqual(['float/none', 'float/staircase', 'w4/none', 'w4/staircase']);
    const w = r.worstCase.find((x) => x.variant === 'w4' && x.defense === 'staircase')!;
    expect(w.attacks).toEqual(['pgd', 'square', 'transfer', 'pgd+bpda']);
    expect(r.headline).toEqual([{ epsilon: 0.3, accuracy: w.accuracy, variant: 'w4', defense: 'staircase' }]);
    // The staircase blunts plain PGD (its treads have tiny gradients) but not BPDA: the masking flag says so.
    const plain = r.rows.find((x) => x.variant === 'w4' && x.attack === 'pgd' && x.defense === 'staircase' && !x.adaptive)!;
    const bpda = r.rows.find((x) => x.variant === 'w4' && x.attack === 'pgd' && x.adaptive)!;
    expect(plain.accuracy).toBeGreaterThan(bpda.accuracy + 0.1);
    expect(r.flags.find((f) => f.id === 'defense_masks_gradients' && f.variant === 'w4')?.severity).toBe('warning');
    expect(r.flags.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('uses EOT for the adaptive attack on a random mapping', { timeout: 60_000 }, async () => {
    const r = await audit(float, { bits: [], attacks: ['fgsm'], epsilons: [0.3], defense: { mapping: 'random' } });
    expect(r.rows.map((x) => `${x.defense}/${x.adaptive}`)).toEqual(['none/false', 'random/false', 'random/true']);
    expect(r.notes.some((n) => n.includes('EOT over 10 draws'))).toBe(true);
    // round() has gradient 0: plain gradients through the random grid vanish, BPDA's do not. Expected masking: a warning.
    const zero = r.flags.filter((f) => f.id === 'zero_gradients');
    expect(zero.map((f) => [f.defense, f.adaptive, f.severity])).toEqual([['random', false, 'warning']]);
    const plain = r.rows.find((x) => x.defense === 'random' && !x.adaptive)!;
    const eot = r.rows.find((x) => x.adaptive)!;
    expect(plain.accuracy).toBeGreaterThan(eot.accuracy);
  });

  it('audits a quantized upload as original, without transfer unless a surrogate is given', { timeout: 60_000 }, async () => {
    const w8 = float.quantize(8);
    try {
      // 48 kernel values on an 8-bit grid: fewer distinct values, so the implied width is below 8.
      expect(w8.summary.bits).toBeGreaterThan(2);
      const r = await audit(w8, { bits: [8, 2], attacks: ['fgsm', 'transfer'], epsilons: [0.1] });
      expect(r.variants.map((v) => v.name)).toEqual(['original', 'w2']);
      expect(r.rows.some((x) => x.attack === 'transfer')).toBe(false);
      expect(r.notes.some((n) => n.startsWith('No transfer rows'))).toBe(true);
      expect(r.criteria.ql.every((q) => q.reference === 'original')).toBe(true);
      const s = await audit(w8, { bits: [2], attacks: ['fgsm', 'transfer'], epsilons: [0.1] }, float);
      expect(s.rows.filter((x) => x.attack === 'transfer').map((x) => `${x.variant}/${x.source}`)).toEqual(['original/surrogate', 'w2/surrogate']);
    } finally {
      w8.dispose();
    }
  });
});
