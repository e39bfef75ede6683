// Retraining settings (METHOD.md, boundary-based retraining and its baselines): one zod schema, documented defaults.
import { z } from 'zod';
import { DefenseSettingSchema } from '../defense/settings';
import { EngineError } from '../errors';

export const RETRAIN_METHODS = ['none', 'qat', 'boundary', 'pgd-at', 'at-then-quantize'] as const;
export type RetrainMethod = (typeof RETRAIN_METHODS)[number];

const pos = z.number().positive().finite();
const unit = z.number().min(0).lt(1);

const Optimizer = z.discriminatedUnion('name', [
  z.object({ name: z.literal('adam'), learningRate: pos.default(1e-3), beta1: unit.default(0.9), beta2: unit.default(0.999), epsilon: pos.default(1e-7) }),
  z.object({ name: z.literal('sgd'), learningRate: pos.default(0.01), momentum: unit.default(0.9) }),
]);

export const RetrainConfigSchema = z.strictObject({
  /** none: plain quantization; qat: CE only; boundary: METHOD.md; pgd-at: Madry AT of the quantized model; at-then-quantize: AT of the float model, then Q_k. */
  method: z.enum(RETRAIN_METHODS),
  bits: z.number().int().min(1).max(8),
  perChannel: z.boolean().default(false),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  /** Passes over the training data; `maxBatches` caps the total (the common budget of a comparison). */
  epochs: z.number().int().min(1).max(1000).default(1),
  maxBatches: z.number().int().min(1).optional(),
  batchSize: z.number().int().min(1).max(256).default(32),
  /** Mini-batches per resumable step (sized for one Workers invocation, see docs/results.md). */
  batchesPerStep: z.number().int().min(1).max(10_000).default(8),
  optimizer: Optimizer.prefault({ name: 'adam' }),
  /** Learning-rate schedule over the job's batches: constant, or cosine decay to 0 (Loshchilov & Hutter 2017), which settles the weights between rounding thresholds. */
  schedule: z.enum(['constant', 'cosine']).default('cosine'),
  boundary: z.strictObject({
    eps: pos.max(1).default(0.1),
    steps: z.number().int().min(1).max(100).default(5),
    stepSize: pos.default(0.025),
    tolerance: pos.default(1 / 255),
    lambdaB: z.number().min(0).default(1),
    lambdaD: z.number().min(0).default(1),
    temperature: pos.default(4),
  }).prefault({}),
  /** PGD of the adversarial-training baselines (Madry et al. 2018 on MNIST: eps 0.3, 40 x 0.01, random start). */
  adversarial: z.strictObject({
    eps: pos.max(1).default(0.3),
    steps: z.number().int().min(1).max(100).default(40),
    stepSize: pos.default(0.01),
    randomStart: z.boolean().default(true),
    /** Fraction of the job's batches over which eps rises linearly from 0 (0: Madry's fixed eps from the start). */
    warmup: z.number().min(0).max(1).default(0),
  }).prefault({}),
  /**
   * The nonlinear input mapping g trained in (METHOD.md, "Nonlinear-mapping defense"): every method fine-tunes the
   * network behind g, as the audit's `defense` setting (same schema) places it. 'none': no mapping.
   */
  defense: DefenseSettingSchema.default('none'),
});

/** The closing audit unless the request says otherwise: white-box FGSM and PGD at the default epsilons. */
export const DEFAULT_RETRAIN_AUDIT = { attacks: ['fgsm', 'pgd'], limit: 100 } as const;
/**
 * The closing audit of a job trained behind a defense: Square as well, so that next to the plain and adaptive (BPDA /
 * EOT) rows of FGSM and PGD there is an attack that uses no gradient, and the masking flag has a black-box rival.
 */
export const DEFENDED_RETRAIN_AUDIT = { attacks: ['fgsm', 'pgd', 'square'], limit: 100 } as const;

export type RetrainConfig = z.output<typeof RetrainConfigSchema>;
export type RetrainConfigInput = z.input<typeof RetrainConfigSchema>;

/** Validates and fills defaults; errors are invalid_argument with the field's path as pointer. */
export function resolveRetrainConfig(input: unknown): RetrainConfig {
  const r = RetrainConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.join('.');
  throw new EngineError('invalid_argument', `expected valid retraining settings, got ${path || 'settings'}: ${issue.message}`, path ? `settings.${path}` : 'settings');
}

/**
 * Canonical JSON of a resolved config (keys sorted): a resumed job must present the same settings. `defense: 'none'`
 * is left out, so that checkpoints written before the field existed still resume.
 */
export function configFingerprint(c: RetrainConfig): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
      : v;
  const { defense, ...rest } = c;
  return JSON.stringify(sort(defense === 'none' ? rest : c));
}
