import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/errors';
import { MICRO_BATCH, parseSettings, planAudit, planVariants } from '../../../src/engine/audit';
import type { AttackChunk } from '../../../src/engine/audit';

describe('settings', () => {
  it('fills the documented defaults', () => {
    const s = parseSettings({});
    expect(s).toMatchObject({
      attacks: ['fgsm', 'pgd', 'apgd', 'square', 'transfer'], norm: 'linf', epsilons: [0.1, 0.3], bits: [8, 4, 2, 1],
      restarts: 1, temperature: 1, defense: 'none', eot: 10, limit: 100, seed: 0, chunkSize: 32, examples: 4, sanity: true,
    });
    expect(s.steps).toBeUndefined();
    expect(s.queries).toBeUndefined();
    expect(parseSettings({ norm: 'l2' }).epsilons).toEqual([1, 2]);
    expect(parseSettings({ defense: { mapping: 'sine' } }).defense).toEqual({ mapping: 'sine', freq: 8, amp: 0.05 });
  });

  it('canonicalizes lists so that the same request gives the same plan', () => {
    const s = parseSettings({ attacks: ['square', 'fgsm', 'square'], epsilons: [0.3, 0.1, 0.3], bits: [2, 8, 2] });
    expect([s.attacks, s.epsilons, s.bits]).toEqual([['fgsm', 'square'], [0.1, 0.3], [8, 2]]);
  });

  it('rejects bad values naming the field', () => {
    const bad: [unknown, string][] = [
      [{ chunkSize: 20 }, 'settings.chunkSize'],
      [{ bits: [9] }, 'settings.bits.0'],
      [{ epsilons: [2] }, 'settings.epsilons'],
      [{ attacks: ['deepfool'] }, 'settings.attacks.0'],
      [{ temperature: 0 }, 'settings.temperature'],
      [{ limit: 0 }, 'settings.limit'],
      [{ defense: { mapping: 'random', eot: 3 } }, 'settings.defense'],
      [{ colour: 'red' }, 'settings'],
    ];
    for (const [input, field] of bad) {
      const e = (() => { try { parseSettings(input); } catch (err) { return err; } })() as EngineError;
      expect(e).toBeInstanceOf(EngineError);
      expect([e.code, e.pointer]).toEqual(['invalid_argument', field]);
    }
  });
});

describe('planAudit', () => {
  const float = { modelBits: null, dataSize: 1000 };

  it('names every chunk uniquely and stably, with ranges aligned to the micro-batch', () => {
    const s = parseSettings({ limit: 70, chunkSize: 32 });
    const a = planAudit(s, float);
    expect(planAudit(s, float)).toEqual(a);
    expect(new Set(a.map((c) => c.id)).size).toBe(a.length);
    expect(a.filter((c) => c.kind === 'clean').map((c) => c.id)).toEqual(['clean:0-32', 'clean:32-64', 'clean:64-70']);
    expect(a.map((c) => c.id)).toContain('pgd:w4:none:0.3:64-70');
    expect(a.map((c) => c.id)).toContain('transfer:0.1:0-32');
    for (const c of a) if ('start' in c) expect(c.start % MICRO_BATCH).toBe(0);
  });

  it('plans the upload and its twins', () => {
    const s = parseSettings({ bits: [8, 4, 2] });
    expect(planVariants(s, null).map((v) => v.name)).toEqual(['float', 'w8', 'w4', 'w2']);
    // A quantized upload gets only narrower twins, re-quantized from it.
    expect(planVariants(s, 4).map((v) => v.name)).toEqual(['original', 'w2']);
  });

  it('omits transfer for a quantized upload without a surrogate', () => {
    const s = parseSettings({ attacks: ['transfer', 'fgsm'] });
    expect(planAudit(s, { modelBits: 8, dataSize: 50 }).some((c) => c.kind === 'transfer')).toBe(false);
    const t = planAudit(s, { modelBits: 8, dataSize: 50, surrogate: true }).find((c) => c.kind === 'transfer');
    expect(t && t.kind === 'transfer' && t.targets.map((x) => x.variant)).toEqual(['original', 'w4', 'w2', 'w1']);
  });

  it('adds plain and BPDA chunks behind a defense, Square without BPDA', () => {
    const s = parseSettings({ attacks: ['pgd', 'square'], epsilons: [0.3], bits: [4], limit: 16, defense: { mapping: 'staircase' }, sanity: false });
    const ids = planAudit(s, float).filter((c) => c.kind === 'attack').map((c) => c.id);
    expect(ids).toEqual([
      'pgd:float:none:0.3:0-16', 'pgd:float:staircase:0.3:0-16', 'pgd:float:staircase+bpda:0.3:0-16',
      'pgd:w4:none:0.3:0-16', 'pgd:w4:staircase:0.3:0-16', 'pgd:w4:staircase+bpda:0.3:0-16',
      'square:float:none:0.3:0-16', 'square:float:staircase:0.3:0-16',
      'square:w4:none:0.3:0-16', 'square:w4:staircase:0.3:0-16',
    ]);
  });

  it('keeps examples in one chunk and scores the other variants on the reference adversarials', () => {
    const chunks = planAudit(parseSettings({ limit: 64 }), float).filter((c): c is AttackChunk => c.kind === 'attack');
    expect(chunks.filter((c) => c.examples > 0).map((c) => c.id)).toEqual(['pgd:w1:none:0.3:0-32']);
    expect(chunks.find((c) => c.id === 'fgsm:float:none:0.1:0-32')!.others).toEqual(['w8', 'w4', 'w2', 'w1']);
    expect(chunks.find((c) => c.id === 'fgsm:w8:none:0.1:0-32')!.others).toEqual([]);
  });

  it('runs DIVA on the twins only and HopSkipJump without BPDA', () => {
    const s = parseSettings({ attacks: ['diva', 'hsj'], epsilons: [0.3], bits: [4], limit: 16, defense: { mapping: 'sine' }, sanity: false });
    const ids = planAudit(s, float).filter((c) => c.kind === 'attack').map((c) => c.id);
    expect(ids).toEqual([
      'diva:w4:none:0.3:0-16', 'diva:w4:sine:0.3:0-16', 'diva:w4:sine+bpda:0.3:0-16',
      'hsj:float:none:0.3:0-16', 'hsj:float:sine:0.3:0-16', 'hsj:w4:none:0.3:0-16', 'hsj:w4:sine:0.3:0-16',
    ]);
  });

  it('evaluates no more samples than the data set holds', () => {
    const clean = planAudit(parseSettings({ limit: 100 }), { modelBits: null, dataSize: 20 }).filter((c) => c.kind === 'clean');
    expect(clean.map((c) => c.id)).toEqual(['clean:0-20']);
  });
});
