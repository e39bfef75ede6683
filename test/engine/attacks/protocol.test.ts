// The protocol of runAttack: input checks, epsilon 0 is clean, kept examples, schedules of APGD and Square.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { ATTACK_DEFAULTS, attackWork, runAttack, type AttackOptions } from '../../../src/engine/attacks';
import { apgdCheckpoints } from '../../../src/engine/attacks/apgd';
import { pSchedule } from '../../../src/engine/attacks/square';
import { EngineError } from '../../../src/engine/errors';
import { fixture, type Fixture } from './fixture';

let f: Fixture;
beforeAll(async () => {
  await initEngine(await loadWasm());
  f = fixture(6);
});
afterAll(() => f.dispose());

const opts = (o: Partial<AttackOptions> = {}): AttackOptions => ({ norm: 'linf', epsilons: [0.1], seed: 1, indices: f.indices, ...o });

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return (e as EngineError).code;
  }
  return undefined;
}

describe('input checks', () => {
  it('rejects bad inputs with invalid_argument and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const big = tf.mul(f.x, 2) as tf.Tensor4D;
    const wrong = tf.zeros([6, 4, 4, 1]) as tf.Tensor4D;
    const badY = tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32');
    const cases: (() => unknown)[] = [
      () => runAttack({ name: 'fgsm' }, f.mlp, big, f.y, opts()),
      () => runAttack({ name: 'fgsm' }, f.mlp, wrong, f.y, opts()),
      () => runAttack({ name: 'fgsm' }, f.mlp, f.x, badY, opts()),
      () => runAttack({ name: 'fgsm' }, f.mlp, f.x, f.y, opts({ epsilons: [0.1, -1] })),
      () => runAttack({ name: 'fgsm' }, f.mlp, f.x, f.y, opts({ epsilons: [NaN] })),
      () => runAttack({ name: 'fgsm' }, f.mlp, f.x, f.y, opts({ epsilons: [] })),
      () => runAttack({ name: 'fgsm' }, f.mlp, f.x, f.y, opts({ indices: [1, 2] })),
      () => runAttack({ name: 'fgsm' }, f.mlp, f.x, f.y, opts({ eot: 0 })),
      () => runAttack({ name: 'square', pInit: 2 }, f.mlp, f.x, f.y, opts({ norm: 'l2' })),
      () => runAttack({ name: 'pgd', temperature: 0 }, f.mlp, f.x, f.y, opts()),
      () => runAttack({ name: 'diva' }, f.mlp, f.x, f.y, opts()),
      () => runAttack({ name: 'pgd', steps: 0 }, f.mlp, f.x, f.y, opts()),
      () => runAttack({ name: 'pgd', stepSize: -1 }, f.mlp, f.x, f.y, opts()),
      () => runAttack({ name: 'transfer' }, f.mlp, f.x, f.y, opts()),
    ];
    for (const c of cases) expect(code(c)).toBe('invalid_argument');
    tf.dispose([big, wrong, badY]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('protocol', () => {
  it('epsilon 0 is the clean input, scored; examples are the first `keep` samples', () => {
    const [clean, adv] = runAttack({ name: 'pgd', steps: 3 }, f.mlp, f.x, f.y, opts({ epsilons: [0, 0.3], keep: 2 }));
    const pred = Array.from(tf.tidy(() => tf.argMax(f.mlp.logits(f.x), 1)).dataSync());
    expect(Array.from(clean.predicted)).toEqual(pred);
    expect(Array.from(clean.correct)).toEqual(pred.map((p, i) => (p === f.test.y[i] ? 1 : 0)));
    expect(Array.from(clean.examples!)).toEqual(Array.from(f.x.dataSync().slice(0, 2 * 64)));
    expect(adv.examples!.length).toBe(2 * 64);
    expect(adv.epsilon).toBe(0.3);
    expect(Array.from(adv.correct)).toEqual(Array.from(adv.predicted).map((p, i) => (p === f.test.y[i] ? 1 : 0)));
  });

  it('documents the MNIST defaults', () => {
    expect(ATTACK_DEFAULTS.pgd).toMatchObject({ steps: 40, stepSize: { linf: 0.01, l2PerEps: 0.25 }, randomStart: true, temperature: 1 });
    expect(ATTACK_DEFAULTS.apgd).toMatchObject({ steps: 100, restarts: 1, rho: 0.75, targets: 9 });
    expect(ATTACK_DEFAULTS.square).toMatchObject({ queries: 1000, queriesThorough: 5000, pInit: 0.8 });
    expect(ATTACK_DEFAULTS.hsj).toMatchObject({ queries: 1000 });
    expect(ATTACK_DEFAULTS.diva).toMatchObject({ c: 1, steps: 40 });
    // The work estimate reads the same table: a changed default moves it too.
    expect(attackWork({ name: 'pgd' }, 10)).toBe(ATTACK_DEFAULTS.pgd.steps);
    expect(attackWork({ name: 'apgd-t' }, 10)).toBe(ATTACK_DEFAULTS.apgd.steps * 9);
    expect(attackWork({ name: 'apgd-t' }, 4)).toBe(ATTACK_DEFAULTS.apgd.steps * 3);
    expect(attackWork({ name: 'hsj', queries: 50 }, 10)).toBe(50);
  });
});

describe('schedules', () => {
  it('APGD checkpoints are the AutoAttack code\'s integer windows (22, 41, ... at 100 steps)', () => {
    expect(apgdCheckpoints(100)).toEqual([22, 41, 57, 70, 80, 87, 93, 99]);
    // torchattacks apgd.py at 10 steps: k = 2, then max(k - 1, 1): checks after steps 2, 3, 4, ..., 10.
    expect(apgdCheckpoints(10)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // 40 steps: windows 8, 7, 6, 5, 4, 3, 2, 2, 2 (size_decr 1, steps_min 2).
    expect(apgdCheckpoints(40)).toEqual([8, 15, 21, 26, 30, 33, 35, 37, 39]);
    expect(apgdCheckpoints(1)).toEqual([1]);
  });

  it('Square halves p at the paper\'s query fractions', () => {
    expect(pSchedule(0.8, 0, 1000)).toBe(0.8);
    expect(pSchedule(0.8, 1, 1000)).toBe(0.8);
    expect(pSchedule(0.8, 2, 1000)).toBe(0.4);
    expect(pSchedule(0.8, 10, 1000)).toBe(0.2);
    expect(pSchedule(0.8, 30, 1000)).toBe(0.1);
    expect(pSchedule(0.8, 999, 1000)).toBe(0.8 / 512);
  });
});
