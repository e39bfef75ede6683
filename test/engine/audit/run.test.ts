import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { ChunkResultSchema, ReportSchema, mergeReport, runChunk } from '../../../src/engine/audit';
import type { Report } from '../../../src/engine/audit';
import type { Model } from '../../../src/engine/model/types';
import type { Dataset } from '../../../src/engine/data/types';
import { FAST, linearModel, runAll, teacherData } from './helpers';

const N = 40; // not a multiple of the micro-batch: the last chunk is partial

describe('runChunk and mergeReport', () => {
  let model: Model;
  let data: Dataset;
  beforeAll(async () => {
    await initEngine(await loadWasm());
    model = linearModel();
    data = teacherData(model, N);
  });
  afterAll(() => model.dispose());

  async function audit(chunkSize: number, bits = [2]): Promise<{ report: Report; results: unknown[] }> {
    const { settings, ctx, chunks, results } = await runAll(model, data, { ...FAST, bits, chunkSize, limit: N });
    ctx.dispose();
    const report = mergeReport(settings, model.summary, chunks, results, { name: data.name, total: N });
    return { report, results };
  }

  it('gives the same report, number for number, for any chunk size', { timeout: 60_000 }, async () => {
    const one = await audit(64);
    const { chunkSize: _a, ...s1 } = one.report.settings;
    for (const size of [16, 32]) {
      const other = await audit(size);
      const { chunkSize: _b, ...s2 } = other.report.settings;
      expect(s2).toEqual(s1);
      expect({ ...other.report, settings: null }).toEqual({ ...one.report, settings: null });
    }
    expect(ReportSchema.parse(one.report)).toBeTruthy();
    for (const r of one.results) ChunkResultSchema.parse(r);
  });

  it('produces a sensible report on the tiny model', async () => {
    const { report } = await audit(32, [4, 2]);
    expect(report.data.samples).toBe(N);
    expect(report.variants.map((v) => v.name)).toEqual(['float', 'w4', 'w2']);
    expect(report.clean.find((c) => c.variant === 'float')!.accuracy).toBe(1);
    const pgd = report.rows.filter((r) => r.attack === 'pgd' && r.variant === 'float');
    expect(pgd.map((r) => r.epsilon)).toEqual([0.1, 0.3]);
    expect(pgd[1]!.accuracy).toBeLessThan(1);
    expect(report.rows.some((r) => r.attack === 'transfer' && r.variant === 'float')).toBe(false);
    expect(report.rows.filter((r) => r.attack === 'transfer').map((r) => r.variant)).toEqual(['w4', 'w4', 'w2', 'w2']);
    for (const w of report.worstCase) {
      const rows = report.rows.filter((r) => r.variant === w.variant && r.epsilon === w.epsilon);
      expect(w.accuracy).toBeLessThanOrEqual(Math.min(...rows.map((r) => r.accuracy)));
    }
    expect(report.companions.layers.map((l) => l.variant)).toEqual(['float', 'w4', 'w2']);
    expect(report.companions.layers[0]!.relativeError).toBeNull();
    expect(report.companions.layers[2]!.relativeError!).toBeGreaterThan(report.companions.layers[1]!.relativeError!);
    expect(report.examples!.items.length).toBe(4);
    // A linear layer cannot stretch a perturbation by more than its spectral norm.
    const sigma = report.companions.layers.find((l) => l.variant === 'w2')!.spectralNorm;
    for (const a of report.companions.amplification.filter((a) => a.variant === 'w2')) expect(a.mean!).toBeLessThanOrEqual(sigma * (1 + 1e-5));
    expect(report.flags).toEqual([]);
  });

  it('returns the same bytes for the same chunk and leaks no tensors', async () => {
    const { ctx, chunks, results } = await runAll(model, data, { ...FAST, bits: [4], limit: 16, chunkSize: 16, attacks: ['pgd', 'square', 'transfer'] });
    const before = tf.memory().numTensors;
    for (const [i, c] of chunks.entries()) expect(JSON.stringify(await runChunk(ctx, c))).toBe(JSON.stringify(results[i]));
    expect(tf.memory().numTensors).toBe(before);
    ctx.dispose();
  });
});
