// What a chunk runs against: the model and its twins, the data, the attack function and the defense,
// handed in as functions so that tests can pass small fakes and the real engine is wired in one place.
import type * as tf from '@tensorflow/tfjs-core';
import { MICRO_BATCH } from './settings';
import type { AttackOptions, AttackSpec, EpsilonResult } from '../attacks/types';
import type { Dataset } from '../data/types';
import type { Model } from '../model/types';
import type { Classifier, Draw } from '../types';
import { expect } from '../errors';
import { toMapping } from './settings';
import type { AuditSettings, DefenseMapping } from './settings';
import type { Mapping } from '../defense/mappings';
import { planVariants, referenceVariant } from './plan';
import type { VariantInfo } from './plan';

export type RunAttackFn = (
  spec: AttackSpec, model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, opts: AttackOptions,
) => EpsilonResult[] | Promise<EpsilonResult[]>;
export type DefendFn = (model: Classifier, mapping: Mapping, opts: { adaptive: boolean }) => Classifier;
export type BatchFn = (ds: Dataset, start: number, end: number) => { x: tf.Tensor4D; y: tf.Tensor1D };

/** The parts of an audit. `model` is the upload; `surrogate` (optional) is the transfer source. */
export interface AuditParts {
  model: Model;
  surrogate?: Classifier;
  data: Dataset;
  batch: BatchFn;
  runAttack: RunAttackFn;
  /** Required when settings.defense is not 'none'. */
  defend?: DefendFn;
}

export interface AuditContext {
  readonly settings: AuditSettings;
  readonly data: Dataset;
  readonly surrogate?: Classifier;
  readonly batch: BatchFn;
  readonly runAttack: RunAttackFn;
  /** The upload's variant name ('float' or 'original') and all variants, the upload first. */
  readonly reference: string;
  readonly variants: VariantInfo[];
  /** 'float' | 'original' is the upload, 'wK' its K-bit twin (made once, then reused). */
  variant(name: string): Model;
  /** The variant as attacked: bare ('none'), or behind the mapping with plain or BPDA gradients. */
  classifier(variant: string, defense: string, adaptive: boolean): Classifier;
  /** Disposes the twins this context made (not the upload, not the surrogate). */
  dispose(): void;
}

export function createAuditContext(parts: AuditParts, settings: AuditSettings): AuditContext {
  expect(settings.defense === 'none' || parts.defend !== undefined, 'invalid_argument',
    `expected a defend function for defense '${settings.defense === 'none' ? '' : settings.defense.mapping}', got none`);
  const reference = referenceVariant(parts.model.summary.bits);
  const twins = new Map<string, Model>();
  const guarded = new Map<string, Classifier>();
  const variant = (name: string): Model => {
    if (name === reference) return parts.model;
    const bits = /^w([1-8])$/.exec(name);
    expect(bits, 'invalid_argument', `expected a variant '${reference}' or 'w1'..'w8', got '${name}'`);
    let m = twins.get(name);
    if (!m) twins.set(name, (m = parts.model.quantize(Number(bits[1]))));
    return m;
  };
  return {
    settings,
    data: parts.data,
    surrogate: parts.surrogate,
    batch: parts.batch,
    runAttack: parts.runAttack,
    reference,
    variants: planVariants(settings, parts.model.summary.bits),
    variant,
    classifier(name, defense, adaptive) {
      if (defense === 'none') return variant(name);
      const key = `${name}/${defense}/${adaptive}`;
      let c = guarded.get(key);
      if (!c) guarded.set(key, (c = parts.defend!(variant(name), toMapping(settings.defense as DefenseMapping), { adaptive })));
      return c;
    },
    dispose() {
      for (const m of twins.values()) m.dispose();
      twins.clear();
      guarded.clear();
    },
  };
}

/** A forward pass with an explicit draw, so that a randomized classifier is keyed by global indices. */
export function forward(c: Classifier, x: tf.Tensor4D, seed: number, key: readonly (string | number)[], indices: readonly number[]): tf.Tensor2D {
  const draw: Draw = { seed, key, indices };
  return c.logits(x, draw);
}

/** Calls `f` on each aligned micro-batch of [start, end) with its tensors and global indices; disposes them. */
export async function eachMicroBatch(
  ctx: AuditContext, start: number, end: number,
  f: (x: tf.Tensor4D, y: tf.Tensor1D, indices: number[], labels: number[]) => Promise<void> | void,
): Promise<void> {
  const size = ctx.settings.microBatch ?? MICRO_BATCH;
  for (let s = start; s < end; s += size) {
    const e = Math.min(end, s + size);
    const { x, y } = ctx.batch(ctx.data, s, e);
    try {
      const indices = Array.from({ length: e - s }, (_, i) => s + i);
      await f(x, y, indices, Array.from(y.dataSync()));
    } finally {
      x.dispose();
      y.dispose();
    }
  }
}
