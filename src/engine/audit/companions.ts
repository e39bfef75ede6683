// Output-level companions of the two losses (METHOD.md): prediction flip rate float vs quantized, relative
// logit error (mean, p95), adversarial amplification, and per-layer weight error and spectral norm.
import type { Merged } from './merged';
import type { Companions } from './report';
import { clfKey } from './results';

export function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Nearest-rank percentile: the smallest value with at least p of the samples at or below it. */
export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

function differ(a: readonly number[], b: readonly number[]): number {
  return a.length === 0 ? 0 : a.filter((x, i) => x !== b[i]).length / a.length;
}

export function companions(m: Merged): Companions {
  const others = m.variants.slice(1);
  const refClean = m.clean.predicted[clfKey(m.reference, 'none')] ?? [];
  // The reference's white-box chunks (defense none), in sample order, per (attack, epsilon).
  const refChunks = m.attacks
    .filter((a) => a.chunk.variant === m.reference && a.chunk.defense === 'none')
    .sort((a, b) => a.chunk.start - b.chunk.start);
  const groups = [...new Set(refChunks.map((a) => `${a.chunk.attack}@${a.chunk.epsilon}`))];
  const flipRate = others.map((variant) => ({
    variant,
    clean: differ(m.clean.predicted[clfKey(variant, 'none')] ?? [], refClean),
    adversarial: groups.map((g) => {
      const parts = refChunks.filter((a) => `${a.chunk.attack}@${a.chunk.epsilon}` === g);
      const ref = parts.flatMap((p) => p.result.predicted);
      const mine = parts.flatMap((p) => p.result.others[variant] ?? []);
      return { attack: parts[0]!.chunk.attack, epsilon: parts[0]!.chunk.epsilon, rate: differ(mine, ref) };
    }),
  }));
  const logitError = others.map((variant) => {
    const e = m.clean.logitError[variant] ?? [];
    return { variant, mean: mean(e) ?? 0, p95: percentile(e, 0.95) ?? 0 };
  });
  const amplification = m.variants.flatMap((variant) => {
    const mine = m.attacks.filter((a) => a.chunk.variant === variant && a.chunk.defense === 'none').sort((a, b) => a.chunk.start - b.chunk.start);
    const keys = [...new Set(mine.map((a) => `${a.chunk.attack}@${a.chunk.epsilon}`))];
    return keys.map((k) => {
      const parts = mine.filter((a) => `${a.chunk.attack}@${a.chunk.epsilon}` === k);
      const vals = parts.flatMap((p) => p.result.amplification).filter((v): v is number => v !== null);
      return { variant, attack: parts[0]!.chunk.attack, epsilon: parts[0]!.chunk.epsilon, mean: mean(vals) };
    });
  });
  const bound = new Map<string, number>();
  const layers = m.layers.layers.map((l) => {
    const cumulativeBound = (bound.get(l.variant) ?? 1) * l.lipschitzBound;
    bound.set(l.variant, cumulativeBound);
    return { ...l, cumulativeBound };
  });
  return { flipRate, logitError, amplification, layers };
}
