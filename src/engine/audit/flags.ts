// Sanity flags: warn when an evaluation looks broken (Carlini et al. 2019, "On Evaluating Adversarial
// Robustness", section 5 checklist). Thresholds are named constants, documented in docs/report.md.
import type { Merged } from './merged';
import type { Flag, Row } from './report';
import { BLACK_BOX, CE_ATTACKS, MARGIN_ATTACKS, WHITE_BOX } from './settings';
import { pct } from '../format';

export const FLAG_LIMITS = {
  /** Accuracy may rise with epsilon by at most this much (random starts make small rises possible). */
  epsilonRise: 0.02,
  /** PGD may be weaker than FGSM by at most this much. */
  pgdVsFgsm: 0.02,
  /** A black-box attack may beat the best white-box attack by at most this much. */
  blackVsWhite: 0.05,
  /** The plain attack through a defense may be weaker than the adaptive or black-box one by at most this much. */
  masking: 0.1,
  /** Accuracy allowed after PGD at the very large epsilon of the sanity probe. */
  largeEpsilon: 0.1,
  /** Fraction of samples allowed to have an exactly zero input gradient. */
  zeroGradient: 0.1,
  /** Fraction of clean outputs that may look like probability vectors. */
  probability: 0.5,
  /** A twin's mean input-gradient norm may be this many times below the reference's (two orders of magnitude). */
  gradientRatio: 100,
  /** A margin-loss attack (CW, APGD-DLR, APGD-T) may beat the best cross-entropy attack by at most this much. */
  marginVsCe: 0.1,
} as const;

type Where = Pick<Flag, 'variant' | 'defense' | 'adaptive' | 'attack' | 'epsilon'>;

/** Plain attacks through a defense are expected to be masked; their flags are warnings, elsewhere errors. */
const masked = (w: { defense?: string; adaptive?: boolean }) => w.defense !== undefined && w.defense !== 'none' && !w.adaptive;
const groupKey = (r: Row) => `${r.variant}|${r.defense}|${r.adaptive}`;

export function sanityFlags(m: Merged, rows: Row[]): Flag[] {
  return [...epsilonFlags(rows), ...pgdFlags(rows), ...blackBoxFlags(rows), ...maskingFlags(rows), ...probeFlags(m), ...probabilityFlags(m),
    ...vanishingGradientFlags(m), ...marginFlags(rows), ...activationQuantFlags(m)];
}

/** The sanity probe's PGD through activation fake quantization: BPDA beating the straight-through estimator. */
export function activationQuantFlags(m: Merged): Flag[] {
  return activationQuantRows(m).filter((r) => r.steAccuracy - r.bpdaAccuracy > FLAG_LIMITS.masking).map((r) =>
    flag('activation_quantization_masks', 'warning', { variant: r.variant, defense: 'none', adaptive: false, attack: 'pgd', epsilon: r.epsilon },
      `PGD at epsilon ${r.epsilon} leaves ${pct(r.steAccuracy)} on ${r.variant} through the fake quantization's straight-through gradient, ${pct(r.bpdaAccuracy)} through BPDA (first ${r.samples} samples)`,
      'The straight-through estimator passes no gradient where an activation is clipped to the quantization range, so gradient attacks miss adversarial examples that BPDA (the identity) finds. Robustness of the activation-quantized model is overstated by its PGD rows.'));
}

/** The report's rows of that probe: one per variant with activation fake quantization. */
export function activationQuantRows(m: Merged): { variant: string; epsilon: number; samples: number; steAccuracy: number; bpdaAccuracy: number }[] {
  return m.sanity.filter((s) => s.chunk.defense === 'none' && s.result.activationQuant).map(({ chunk, result }) => {
    const a = result.activationQuant!, n = result.end - result.start;
    return { variant: chunk.variant, epsilon: a.epsilon, samples: n, steAccuracy: a.steCorrect / n, bpdaAccuracy: a.bpdaCorrect / n };
  });
}

export function epsilonFlags(rows: Row[]): Flag[] {
  const out: Flag[] = [];
  for (const r of rows) {
    const smaller = rows.filter((o) => groupKey(o) === groupKey(r) && o.attack === r.attack && o.epsilon < r.epsilon);
    const worst = smaller.find((o) => r.accuracy > o.accuracy + FLAG_LIMITS.epsilonRise);
    if (!worst) continue;
    out.push(flag('accuracy_rises_with_epsilon', 'warning', where(r),
      `${r.attack} on ${r.variant}: accuracy ${pct(r.accuracy)} at epsilon ${r.epsilon} is above ${pct(worst.accuracy)} at epsilon ${worst.epsilon}`,
      'A larger budget contains every perturbation of a smaller one, so a working attack cannot do worse with it. The attack is not converging (too few steps, a bad step size) or the gradients are masked.'));
  }
  return out;
}

export function pgdFlags(rows: Row[]): Flag[] {
  return rows.filter((r) => r.attack === 'pgd').flatMap((r) => {
    const f = rows.find((o) => o.attack === 'fgsm' && groupKey(o) === groupKey(r) && o.epsilon === r.epsilon);
    if (!f || r.accuracy <= f.accuracy + FLAG_LIMITS.pgdVsFgsm) return [];
    return [flag('pgd_weaker_than_fgsm', masked(r) ? 'warning' : 'error', where(r),
      `PGD leaves ${pct(r.accuracy)} accuracy on ${r.variant} at epsilon ${r.epsilon}, FGSM only ${pct(f.accuracy)}`,
      'PGD iterates the FGSM step and should never be weaker. Its steps are too small or too few, or the loss surface is masked (saturated softmax, non-differentiable layers).')];
  });
}

export function blackBoxFlags(rows: Row[]): Flag[] {
  const out: Flag[] = [];
  for (const r of rows.filter((r) => BLACK_BOX.includes(r.attack) && r.defense === 'none')) {
    const white = rows.filter((o) => WHITE_BOX.includes(o.attack) && groupKey(o) === groupKey(r) && o.epsilon === r.epsilon);
    if (white.length === 0) continue;
    const best = Math.min(...white.map((o) => o.accuracy));
    if (r.accuracy >= best - FLAG_LIMITS.blackVsWhite) continue;
    out.push(flag('black_box_stronger', 'warning', where(r),
      `${r.attack} (black-box) leaves ${pct(r.accuracy)} on ${r.variant} at epsilon ${r.epsilon}, the best white-box attack ${pct(best)}`,
      'An attack that sees only outputs should not beat attacks that see gradients; this is the classic sign of gradient masking. Trust the lower number.'));
  }
  return out;
}

export function maskingFlags(rows: Row[]): Flag[] {
  const out: Flag[] = [];
  for (const r of rows.filter((r) => r.defense !== 'none' && !r.adaptive && WHITE_BOX.includes(r.attack))) {
    const rivals = rows.filter((o) => o.variant === r.variant && o.defense === r.defense && o.epsilon === r.epsilon
      && ((o.adaptive && o.attack === r.attack) || BLACK_BOX.includes(o.attack)));
    if (rivals.length === 0) continue;
    const best = rivals.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    if (r.accuracy - best.accuracy <= FLAG_LIMITS.masking) continue;
    out.push(flag('defense_masks_gradients', 'warning', where(r),
      `plain ${r.attack} through '${r.defense}' leaves ${pct(r.accuracy)} on ${r.variant} at epsilon ${r.epsilon}, ${best.adaptive ? 'adaptive ' : ''}${best.attack} ${pct(best.accuracy)}`,
      'The mapping obfuscates gradients (Athalye et al. 2018): the plain attack overstates robustness. The headline uses the worst of plain, adaptive and black-box attacks.'));
  }
  return out;
}

export function probeFlags(m: Merged): Flag[] {
  return m.sanity.flatMap(({ chunk, result }) => {
    const n = result.end - result.start;
    const w: Where = { variant: chunk.variant, defense: chunk.defense, adaptive: chunk.adaptive };
    const sev = masked(w) ? 'warning' : 'error';
    const out: Flag[] = [];
    const acc = result.largeEpsilonCorrect / n;
    if (acc > FLAG_LIMITS.largeEpsilon) {
      out.push(flag('large_epsilon_not_zero', sev, { ...w, attack: 'pgd', epsilon: result.largeEpsilon },
        `PGD at epsilon ${result.largeEpsilon} leaves ${pct(acc)} accuracy on ${chunk.variant}${chunk.defense === 'none' ? '' : ` ('${chunk.defense}'${chunk.adaptive ? ', adaptive' : ''})`}`,
        'At this budget any image can be turned into any other, so accuracy must be near zero. If it is not, the attack cannot follow the gradients (masking, clipping or a broken loss).'));
    }
    const zero = result.zeroGradient / n;
    if (zero > FLAG_LIMITS.zeroGradient) {
      out.push(flag('zero_gradients', sev, w,
        `${pct(zero)} of probed samples have an exactly zero input gradient on ${chunk.variant}${chunk.defense === 'none' ? '' : ` ('${chunk.defense}'${chunk.adaptive ? ', adaptive' : ''})`}`,
        'Gradient attacks cannot move these samples, so white-box numbers overstate robustness. Causes: saturated softmax or probability outputs, step functions in the input pipeline, quantized activations.'));
    }
    return out;
  });
}

export function probabilityFlags(m: Merged): Flag[] {
  const n = m.clean.probability.length;
  const frac = n === 0 ? 0 : m.clean.probability.reduce((a: number, b) => a + b, 0) / n;
  if (frac <= FLAG_LIMITS.probability) return [];
  return [flag('outputs_look_like_probabilities', 'warning', { variant: m.reference },
    `${pct(frac)} of the model's clean outputs lie in [0, 1] and sum to 1`,
    'Attacks expect logits. A softmax inside the model (e.g. fused into the last Dense layer) saturates and makes cross-entropy gradients vanish; export the model without its final softmax.')];
}

/** Quantization-aware masking (Gupta & Ajanthan 2020): a twin whose input gradients are orders of magnitude smaller. */
export function vanishingGradientFlags(m: Merged): Flag[] {
  const bare = m.sanity.filter((s) => s.chunk.defense === 'none' && s.result.gradientNorm !== undefined);
  const ref = bare.find((s) => s.chunk.variant === m.reference)?.result.gradientNorm;
  if (ref === undefined || ref === 0) return [];
  return bare.filter((s) => s.chunk.variant !== m.reference && s.result.gradientNorm! * FLAG_LIMITS.gradientRatio < ref).map((s) =>
    flag('twin_gradients_vanish', 'warning', { variant: s.chunk.variant, defense: 'none', adaptive: false },
      `mean input-gradient norm of ${s.chunk.variant} is ${s.result.gradientNorm!.toExponential(2)}, of ${m.reference} ${ref.toExponential(2)}`,
      'The quantized twin\'s cross-entropy gradients (nearly) vanish, so gradient attacks on it are blind and its robustness is overstated. Trust the margin-loss (CW, APGD-DLR, APGD-T), temperature-scaled or black-box rows.'));
}

/** A margin loss beating every cross-entropy attack by a wide gap: the cross-entropy's gradients are saturated. */
export function marginFlags(rows: Row[]): Flag[] {
  return rows.filter((r) => MARGIN_ATTACKS.includes(r.attack)).flatMap((r) => {
    const ce = rows.filter((o) => CE_ATTACKS.includes(o.attack) && groupKey(o) === groupKey(r) && o.epsilon === r.epsilon);
    if (ce.length === 0) return [];
    const best = ce.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    if (best.accuracy - r.accuracy <= FLAG_LIMITS.marginVsCe) return [];
    return [flag('margin_beats_cross_entropy', 'warning', where(r),
      `${r.attack} (${r.loss}) leaves ${pct(r.accuracy)} on ${r.variant} at epsilon ${r.epsilon}, the best cross-entropy attack (${best.attack}) ${pct(best.accuracy)}`,
      'A margin loss keeps its gradient where a saturated softmax flattens the cross-entropy (common for low-bit weights). The cross-entropy rows overstate robustness; the worst case includes the margin rows.')];
  });
}

function where(r: Row): Where {
  return { variant: r.variant, defense: r.defense, adaptive: r.adaptive, attack: r.attack, epsilon: r.epsilon };
}

function flag(id: string, severity: Flag['severity'], w: Where, message: string, explanation: string): Flag {
  return { id, severity, message, explanation, ...w };
}
