// The audit report's JSON schema (documented for users in docs/report.md; the HTTP layer reuses it).
// Accuracies are fractions in [0, 1]; losses (AL, QL) are differences of accuracies, in [-1, 1].
import { z } from 'zod';
import { ATTACKS } from './settings';
import { ExampleSchema, LayerStatSchema } from './results';

/** Version of the qaudit engine that wrote a report (keep in step with package.json). */
export const QAUDIT_VERSION = '0.1.0';
/**
 * Bumped on any incompatible change of the report's shape or meaning. 2: a sample misclassified clean counts as
 * non-robust in every row and the worst case; QL's worst case over the attacks common to both variants; rows
 * name their loss; DIVA (divergence) and HopSkipJump (queries) rows; default twins w8, w4, w2, w1.
 */
export const REPORT_SCHEMA_VERSION = 2;

const Fraction = z.number().min(0).max(1);
const Loss = z.number().min(-1).max(1);
const Attack = z.enum(ATTACKS);

const WeightGridSchema = z.object({ min: z.number(), step: z.number(), levels: z.int(), symmetric: z.boolean() });
export const ModelSummarySchema = z.object({
  inputShape: z.tuple([z.int(), z.int(), z.int()]),
  numClasses: z.int(),
  /** `inputs`: the tensors a layer reads (the graph's edges). */
  layers: z.array(z.object({ name: z.string(), className: z.string(), inputs: z.array(z.string()).optional(), outputShape: z.array(z.int().nullable()), parameters: z.int() })),
  parameters: z.int(),
  /** Multiply-adds per sample; activation memory of one sample's forward + backward pass (bytes). */
  macs: z.number().optional(),
  activationBytes: z.number().optional(),
  removedSoftmax: z.boolean(),
  /** How pixels in [0, 1] were mapped to the model's input (settings.preprocess). */
  preprocess: z.unknown().optional(),
  weights: z.array(z.object({
    name: z.string(),
    shape: z.array(z.int()),
    storedAs: z.string(),
    distinct: z.int(),
    impliedBits: z.int().nullable(),
    grid: WeightGridSchema.nullable().optional(),
  })),
  bits: z.int().nullable(),
});

export const RowSchema = z.object({
  attack: Attack,
  norm: z.enum(['linf', 'l2']),
  epsilon: z.number(),
  /** 'original' (the upload, quantized) | 'float' (the upload, float) | 'w8', 'w4', ... (twins). */
  variant: z.string(),
  /** 'none' or the mapping's name. */
  defense: z.string(),
  /** BPDA (+ EOT for a random mapping) through the defense. */
  adaptive: z.boolean(),
  /** Correct after the attack and correct on the clean input (a clean-wrong sample is never robust). */
  accuracy: Fraction,
  samples: z.int(),
  correct: z.int(),
  /** The loss the attack ascended: ce (or ce/T=<T>), cw, dlr, dlr-targeted, ce(q)-c*ce(f), margin, decision. */
  loss: z.string(),
  /** Transfer rows: where the adversarials were crafted. */
  source: z.enum(['float', 'surrogate']).optional(),
  /** DIVA rows: fraction of samples where the twin is wrong and the reference right on the adversarial. */
  divergence: Fraction.optional(),
  /** HopSkipJump rows: the query budget per sample and the queries used (mean, median, max over samples). */
  queries: z.object({ budget: z.int(), mean: z.number(), median: z.number(), max: z.int() }).optional(),
});

export const CleanRowSchema = z.object({ variant: z.string(), defense: z.string(), accuracy: Fraction, samples: z.int(), correct: z.int() });

export const WorstCaseSchema = z.object({
  variant: z.string(),
  defense: z.string(),
  epsilon: z.number(),
  /** Per sample: correct under every attack row of this (variant, defense, epsilon), plain and adaptive. */
  accuracy: Fraction,
  samples: z.int(),
  correct: z.int(),
  attacks: z.array(z.string()),
});

const CriterionKey = { variant: z.string(), defense: z.string(), adaptive: z.boolean(), attack: z.enum([...ATTACKS, 'clean', 'worst']), epsilon: z.number() };
export const AlRowSchema = z.object({ ...CriterionKey, value: Loss });
/** QL rows; for attack 'worst', `attacks` lists the attacks both variants have, over which both worst cases are taken. */
export const QlRowSchema = z.object({ ...CriterionKey, reference: z.string(), value: Loss, attacks: z.array(z.string()).optional() });

export const CompanionsSchema = z.object({
  flipRate: z.array(z.object({
    variant: z.string(),
    /** Fraction of clean inputs where the variant's prediction differs from the reference's. */
    clean: Fraction,
    /** The same on the reference's own white-box adversarials, per attack and epsilon. */
    adversarial: z.array(z.object({ attack: Attack, epsilon: z.number(), rate: Fraction })),
  })),
  logitError: z.array(z.object({ variant: z.string(), mean: z.number(), p95: z.number() })),
  amplification: z.array(z.object({ variant: z.string(), attack: Attack, epsilon: z.number(), mean: z.number().nullable() })),
  layers: z.array(LayerStatSchema.extend({ cumulativeBound: z.number() })),
});

export const FlagSchema = z.object({
  id: z.string(),
  severity: z.enum(['info', 'warning', 'error']),
  message: z.string(),
  explanation: z.string(),
  variant: z.string().optional(),
  defense: z.string().optional(),
  adaptive: z.boolean().optional(),
  attack: z.string().optional(),
  epsilon: z.number().optional(),
});

export const ReportSchema = z.object({
  qaudit: z.string(),
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  settings: z.record(z.string(), z.unknown()),
  model: ModelSummarySchema,
  data: z.object({ name: z.string(), samples: z.int(), total: z.int(), inputShape: z.tuple([z.int(), z.int(), z.int()]) }),
  variants: z.array(z.object({ name: z.string(), bits: z.int().nullable(), from: z.enum(['upload', 'quantize']) })),
  clean: z.array(CleanRowSchema),
  rows: z.array(RowSchema),
  worstCase: z.array(WorstCaseSchema),
  /** The headline per epsilon: the lowest worst-case accuracy over the variants and defenses that thresholds cover. */
  headline: z.array(z.object({ epsilon: z.number(), accuracy: Fraction, variant: z.string(), defense: z.string() })),
  criteria: z.object({ al: z.array(AlRowSchema), ql: z.array(QlRowSchema) }),
  companions: CompanionsSchema,
  flags: z.array(FlagSchema),
  /** Models with activation fake quantization (ONNX activation QDQ), sanity probe: the audit's PGD at its largest
   *  epsilon through the straight-through estimator and through BPDA, on the probe's samples. */
  activationQuantization: z.array(z.object({ variant: z.string(), epsilon: z.number(), samples: z.int(), steAccuracy: Fraction, bpdaAccuracy: Fraction })).optional(),
  notes: z.array(z.string()),
  examples: z.object({
    attack: Attack,
    variant: z.string(),
    norm: z.enum(['linf', 'l2']),
    epsilon: z.number(),
    shape: z.tuple([z.int(), z.int(), z.int()]),
    items: z.array(ExampleSchema.extend({ cleanPrediction: z.int() })),
  }).nullable(),
});

export type Row = z.infer<typeof RowSchema>;
export type CleanRow = z.infer<typeof CleanRowSchema>;
export type WorstCase = z.infer<typeof WorstCaseSchema>;
export type AlRow = z.infer<typeof AlRowSchema>;
export type QlRow = z.infer<typeof QlRowSchema>;
export type Companions = z.infer<typeof CompanionsSchema>;
export type Flag = z.infer<typeof FlagSchema>;
export type Report = z.infer<typeof ReportSchema>;
