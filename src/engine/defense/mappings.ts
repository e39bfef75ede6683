// The nonlinear input mappings g of METHOD.md (qaudit's operationalisation): named, documented parameters.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';
import { sampleStreams } from '../rng';
import type { Draw } from '../types';

/**
 * - staircase(levels L, sharpness s): (floor(L x) + sigmoid(s (L x - floor(L x) - 0.5))) / L, a smoothed
 *   quantiser to the grid k / L; its gradient is ~0 on the treads and ~s/4 at the risers. Default s = 200:
 *   risers ~2% of a step wide, and float32 sigmoid saturates beyond |z| ~ 17, so on most of a tread the
 *   gradient is exactly 0 (a monotone g with nonzero slope would not mask sign-based L-inf attacks at all).
 * - sine(freq f, amp a): x + a sin(2 pi f x); slope 1 + 2 pi f a cos(2 pi f x) oscillates in sign when 2 pi f a > 1.
 * - random(levels L): per sample and per query a grid of step 1/L shifted by a random offset u in [0, 1):
 *   clip((round(L x - u) + u) / L, 0, 1); its gradient as written is 0 (round), so attacks need BPDA + EOT.
 */
export type Mapping =
  | { readonly kind: 'staircase'; readonly levels: number; readonly sharpness: number }
  | { readonly kind: 'sine'; readonly freq: number; readonly amp: number }
  | { readonly kind: 'random'; readonly levels: number };

export const MAPPING_DEFAULTS = {
  staircase: { levels: 4, sharpness: 200 },
  sine: { freq: 8, amp: 0.05 },
  random: { levels: 4 },
} as const;

function check(ok: boolean, field: string, want: string, got: number): void {
  if (!ok) throw new EngineError('invalid_argument', `expected ${field} ${want}, got ${got}`, field);
}

export function staircase(levels: number = MAPPING_DEFAULTS.staircase.levels, sharpness: number = MAPPING_DEFAULTS.staircase.sharpness): Mapping {
  check(Number.isInteger(levels) && levels >= 1, 'levels', 'an integer >= 1', levels);
  check(Number.isFinite(sharpness) && sharpness > 0, 'sharpness', 'a finite number > 0', sharpness);
  return { kind: 'staircase', levels, sharpness };
}

export function sine(freq: number = MAPPING_DEFAULTS.sine.freq, amp: number = MAPPING_DEFAULTS.sine.amp): Mapping {
  check(Number.isFinite(freq) && freq > 0, 'freq', 'a finite number > 0', freq);
  check(Number.isFinite(amp) && amp >= 0, 'amp', 'a finite number >= 0', amp);
  return { kind: 'sine', freq, amp };
}

export function random(levels: number = MAPPING_DEFAULTS.random.levels): Mapping {
  check(Number.isInteger(levels) && levels >= 1, 'levels', 'an integer >= 1', levels);
  return { kind: 'random', levels };
}

/** Without a draw a random mapping still answers deterministically: key ['default'], batch positions. */
function defaultDraw(n: number): Draw {
  return { seed: 0, key: ['default'], indices: Array.from({ length: n }, (_, i) => i) };
}

/** g(x) as written, differentiable with tfjs' own gradients (floor and round have gradient 0). */
export function applyMapping(m: Mapping, x: tf.Tensor4D, draw?: Draw): tf.Tensor4D {
  return tf.tidy(() => {
    switch (m.kind) {
      case 'staircase': {
        const lx = tf.mul(x, m.levels);
        const fl = tf.floor(lx);
        const riser = tf.sigmoid(tf.mul(tf.sub(tf.sub(lx, fl), 0.5), m.sharpness));
        return tf.div(tf.add(fl, riser), m.levels) as tf.Tensor4D;
      }
      case 'sine':
        return tf.add(x, tf.mul(tf.sin(tf.mul(x, 2 * Math.PI * m.freq)), m.amp)) as tf.Tensor4D;
      case 'random': {
        const d = draw ?? defaultDraw(x.shape[0]);
        // 'mapping' separates these draws from any randomness of the wrapped model under the same key.
        const u = sampleStreams(d.seed, ['mapping', ...d.key], d.indices).map((r) => r.next());
        const off = tf.tensor4d(u, [u.length, 1, 1, 1]);
        const q = tf.div(tf.add(tf.round(tf.sub(tf.mul(x, m.levels), off)), off), m.levels);
        return tf.clipByValue(q, 0, 1) as tf.Tensor4D;
      }
    }
  });
}
