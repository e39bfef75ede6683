// Seeded randomness keyed by global sample index: a sample's result does not depend on its batch-mates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWasm } from '../../wasm';
import { initEngine } from '../../../src/engine/backend';
import { runAttack, type AttackOptions, type AttackSpec, type EpsilonResult } from '../../../src/engine/attacks';
import { defend, random } from '../../../src/engine/defense';
import type { Classifier, Norm } from '../../../src/engine/types';
import { fixture, type Fixture } from './fixture';

let f: Fixture;
beforeAll(async () => {
  await initEngine(await loadWasm());
  f = fixture(8);
});
afterAll(() => f.dispose());

const CASES: [AttackSpec, Norm][] = [
  [{ name: 'fgsm' }, 'linf'], [{ name: 'fgsm' }, 'l2'],
  [{ name: 'pgd', steps: 5, restarts: 2 }, 'linf'], [{ name: 'pgd', steps: 5, restarts: 2 }, 'l2'],
  [{ name: 'apgd', steps: 8, restarts: 2 }, 'linf'], [{ name: 'apgd', steps: 8 }, 'l2'],
  [{ name: 'square', queries: 60 }, 'linf'],
  [{ name: 'transfer', steps: 5 }, 'linf'],
];

function attack(spec: AttackSpec, model: Classifier, from: number, to: number, opts: Partial<AttackOptions> & { norm: Norm }) {
  const x = tf.slice(f.x, [from, 0, 0, 0], [to - from, -1, -1, -1]);
  const y = tf.slice(f.y, [from], [to - from]);
  const eps = opts.norm === 'linf' ? [0, 0.05, 0.1] : [0, 0.5, 1];
  const res = runAttack(spec, model, x, y, { epsilons: eps, seed: 42, indices: f.indices.slice(from, to), keep: to - from, source: f.surrogate, ...opts });
  tf.dispose([x, y]);
  return res;
}

function concat(a: EpsilonResult[], b: EpsilonResult[]) {
  return a.map((r, i) => ({
    correct: [...r.correct, ...b[i].correct],
    predicted: [...r.predicted, ...b[i].predicted],
    examples: [...r.examples!, ...b[i].examples!],
  }));
}

const plain = (r: EpsilonResult[]) => r.map((e) => ({ correct: [...e.correct], predicted: [...e.predicted], examples: [...e.examples!] }));

describe.each(CASES)('%o %s', (spec, norm) => {
  it('gives bit-identical results for [0..7] and [0..3] + [4..7], and is reproducible', () => {
    const whole = attack(spec, f.mlp, 0, 8, { norm });
    const split = concat(attack(spec, f.mlp, 0, 4, { norm }), attack(spec, f.mlp, 4, 8, { norm }));
    expect(plain(whole)).toEqual(split);
    expect(plain(attack(spec, f.mlp, 0, 8, { norm }))).toEqual(plain(whole));
  });
});

it('a randomized model (random mapping, BPDA, EOT 3) is also split-invariant', () => {
  const model = defend(f.mlp, random(4), { adaptive: true });
  for (const spec of [{ name: 'pgd', steps: 4 }, { name: 'square', queries: 30 }] as AttackSpec[]) {
    const whole = attack(spec, model, 0, 8, { norm: 'linf', eot: 3 });
    const split = concat(attack(spec, model, 0, 5, { norm: 'linf', eot: 3 }), attack(spec, model, 5, 8, { norm: 'linf', eot: 3 }));
    expect(plain(whole)).toEqual(split);
  }
});

it('another seed draws other random starts', () => {
  const a = attack({ name: 'pgd', steps: 2 }, f.mlp, 0, 8, { norm: 'linf' });
  const b = attack({ name: 'pgd', steps: 2 }, f.mlp, 0, 8, { norm: 'linf', seed: 43 });
  expect(plain(a)[1].examples).not.toEqual(plain(b)[1].examples);
});
