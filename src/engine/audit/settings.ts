// Audit settings: one zod schema with the documented defaults and limits (docs/report.md), canonicalized
// (sorted, de-duplicated) so that the same request always yields the same plan and the same chunk ids.
import { z } from 'zod';
import { EngineError } from '../errors';
import { DefenseSettingSchema } from '../defense/settings';
import type { Preprocess } from '../model/ir';
import { PGD_DEFAULTS } from '../attacks/pgd';
import type { AttackSpec } from '../attacks/types';

/** Every attack an audit can run, in report order. */
export const ATTACKS = ['fgsm', 'pgd', 'apgd', 'apgd-dlr', 'apgd-t', 'cw', 'square', 'transfer', 'diva', 'hsj'] as const;
export type AuditAttack = (typeof ATTACKS)[number];
/** The default list (METHOD.md's attack defaults); the others are opt-in, for their cost (APGD-T: 9 runs, HSJ: queries). */
export const DEFAULT_ATTACKS: readonly AuditAttack[] = ['fgsm', 'pgd', 'apgd', 'square', 'transfer'];
/** Attacks that read the target's gradients. */
export const WHITE_BOX: readonly AuditAttack[] = ['fgsm', 'pgd', 'apgd', 'apgd-dlr', 'apgd-t', 'cw', 'diva'];
/** Attacks that use no gradient of the target. */
export const BLACK_BOX: readonly AuditAttack[] = ['square', 'transfer', 'hsj'];
/** Attacks on cross-entropy and on a margin loss (the masking check compares the two families). */
export const CE_ATTACKS: readonly AuditAttack[] = ['fgsm', 'pgd', 'apgd'];
export const MARGIN_ATTACKS: readonly AuditAttack[] = ['apgd-dlr', 'apgd-t', 'cw'];
/** Attacks that need no gradient at all: BPDA changes nothing for them, so they run once per defense. */
export const GRADIENT_FREE: readonly AuditAttack[] = ['square', 'hsj'];
/** The bit widths of the twins by default: METHOD.md's w8, w4, w2, w1. */
export const DEFAULT_BITS = [8, 4, 2, 1] as const;

/**
 * Samples are always evaluated in micro-batches of this size aligned to global indices
 * ([0,16), [16,32), ...), so a chunk boundary never changes a batch and therefore never changes a
 * floating-point result. 16 keeps peak wasm memory of a CNN gradient near 30 MB (PLATFORM.md).
 */
export const MICRO_BATCH = 16;

export const DEFAULT_EPSILONS = { linf: [0.1, 0.3], l2: [1, 2] } as const;

export { DefenseSchema, toMapping, type DefenseMapping } from '../defense/settings';

const unique = <T>(xs: readonly T[]) => [...new Set(xs)];

const perChannel = z.union([z.number(), z.array(z.number()).min(1).max(4)]).transform((v) => [v].flat());
/**
 * How pixels in [0, 1] become the model's input, so that epsilon and clipping stay in pixel units: none (null),
 * 'model' (raw 0-255 pixels: the model's own Rescaling / Normalization layers map them), x * scale + offset, or
 * (x - mean) / std (torchvision's ImageNet mean/std are in [0, 1] units).
 */
export const PreprocessSchema = z.union([
  z.null(),
  z.literal('model'),
  z.object({ scale: perChannel, offset: perChannel.default([0]) }).strict(),
  z.object({ mean: perChannel, std: perChannel.refine((v) => v.every((x) => x > 0), { message: 'expected std > 0' }) }).strict(),
]);
export type PreprocessSetting = z.output<typeof PreprocessSchema>;

/** The engine's preprocessing op for a setting. */
export function toPreprocess(p: PreprocessSetting): Preprocess | null {
  if (p === null) return null;
  if (p === 'model') return { kind: 'affine', scale: [255], offset: [0] };
  if ('scale' in p) return { kind: 'affine', scale: p.scale, offset: p.offset };
  return { kind: 'standardize', mean: p.mean, std: p.std };
}

/**
 * Micro-batch sizes a plan may pick (the largest that fits the memory budget and the chunk). A sample's result does
 * not depend on which samples share its batch (per-sample seeds and losses; tested), so sizes above MICRO_BATCH only
 * change speed: per image, a PGD step at 32 costs 15-21 % and at 64 23-32 % less CPU than at 16 on the bench's
 * CNNs (docs/performance.md, "Micro-batch").
 */
export const MICRO_BATCHES = [1, 2, 4, 8, 16, 32, 64] as const;

export const AuditSettingsSchema = z
  .object({
    attacks: z.array(z.enum(ATTACKS)).min(1).default([...DEFAULT_ATTACKS]),
    norm: z.enum(['linf', 'l2']).default('linf'),
    /** Default: [0.1, 0.3] for linf, [1, 2] for l2. */
    epsilons: z.array(z.number().positive().max(100)).min(1).max(8).optional(),
    /** Bit widths of the quantized twins. */
    bits: z.array(z.int().min(1).max(8)).max(8).default([...DEFAULT_BITS]),
    /** Iterations of the gradient attacks; unset: each attack's default (ATTACK_DEFAULTS: 40 PGD, 100 APGD). */
    steps: z.int().min(1).max(1000).optional(),
    /** Absolute PGD step; unset: 0.01 at linf, eps/4 at l2. */
    stepSize: z.number().positive().max(100).optional(),
    restarts: z.int().min(1).max(10).default(PGD_DEFAULTS.restarts),
    /** Query budget of Square and HopSkipJump per sample; unset: each attack's default (1000; 5000 is "thorough"). */
    queries: z.int().min(1).max(10000).optional(),
    /** Temperature T of the cross-entropy attacks (CE(z / T)); T > 1 rescues gradients of saturated low-bit models. */
    temperature: z.number().positive().max(1000).default(PGD_DEFAULTS.temperature),
    defense: DefenseSettingSchema.default('none'),
    /** EOT draws per gradient for the adaptive attack on a random mapping (at least 10, METHOD.md). */
    eot: z.int().min(10).max(100).default(10),
    /** Samples evaluated (the first `limit` of the data set). See docs/report.md for the default. */
    limit: z.int().min(1).max(10000).default(100),
    seed: z.int().min(0).max(2 ** 31 - 1).default(0),
    /** Samples per chunk; a multiple of MICRO_BATCH. */
    chunkSize: z
      .int()
      .min(MICRO_BATCH)
      .max(1024)
      .default(32)
      .refine((n) => n % MICRO_BATCH === 0, { message: `expected a multiple of ${MICRO_BATCH}` }),
    /** Example images kept for the report (first k samples of one attack). */
    examples: z.int().min(0).max(MICRO_BATCH).default(4),
    /** Run the sanity probes (large-epsilon PGD, gradient probe). */
    sanity: z.boolean().default(true),
    preprocess: PreprocessSchema.default(null),
    /** 'model': each sample's label is the upload's own clean prediction (images without labels). */
    labels: z.enum(['dataset', 'model']).default('dataset'),
    /** Samples per forward/backward pass; unset: the largest that fits the memory budget (results do not depend on it). */
    microBatch: z.int().refine((n) => (MICRO_BATCHES as readonly number[]).includes(n), { message: `expected one of ${MICRO_BATCHES.join(', ')}` }).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.norm === 'linf' && s.epsilons?.some((e) => e > 1)) {
      ctx.addIssue({ code: 'custom', path: ['epsilons'], message: 'expected linf epsilons in (0, 1]' });
    }
  })
  .transform((s) => ({
    ...s,
    attacks: ATTACKS.filter((a) => s.attacks.includes(a)),
    epsilons: unique(s.epsilons ?? DEFAULT_EPSILONS[s.norm]).sort((a, b) => a - b),
    bits: unique(s.bits).sort((a, b) => b - a),
  }));

export type AuditSettingsInput = z.input<typeof AuditSettingsSchema>;
export type AuditSettings = z.output<typeof AuditSettingsSchema>;

/** Parses and canonicalizes settings; bad input is an `invalid_argument` EngineError naming the field. */
export function parseSettings(input: unknown): AuditSettings {
  const r = AuditSettingsSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = ['settings', ...issue.path.map(String)].join('.');
  throw new EngineError('invalid_argument', `${field}: ${issue.message}`, field);
}

/** The defense's name as it appears in rows: 'none' or the mapping's name. */
export function defenseName(s: AuditSettings): string {
  return s.defense === 'none' ? 'none' : s.defense.mapping;
}

/** The attack as the audit's settings configure it (steps, step size, restarts, queries, temperature). */
export function attackSpec(s: AuditSettings, name: AttackSpec['name']): AttackSpec {
  return { name, steps: s.steps, stepSize: s.stepSize, restarts: s.restarts, queries: s.queries, temperature: s.temperature };
}
