// Chunk results: plain JSON, per sample, in global sample order, so that merging chunks is concatenation
// and every statistic of the report is computed once over all samples (chunking cannot change it).
import { z } from 'zod';

const Ints = z.array(z.int());
const Bits = z.array(z.union([z.literal(0), z.literal(1)]));
const Span = { id: z.string(), start: z.int().min(0), end: z.int().min(0) };

export const ExampleSchema = z.object({
  index: z.int(),
  label: z.int(),
  adversarialPrediction: z.int(),
  /** Pixels as integers 0-255, NHWC flattened (display only). */
  original: Ints,
  adversarial: Ints,
});

export const CleanResultSchema = z.object({
  kind: z.literal('clean'),
  ...Span,
  labels: Ints,
  /** Predicted class per classifier key `${variant}/${defense}`. */
  predicted: z.record(z.string(), Ints),
  /** ||z_v - z_ref||_2 / ||z_ref||_2 per sample, per variant other than the reference (defense none). */
  logitError: z.record(z.string(), z.array(z.number())),
  /** 1 where the reference's output row lies in [0, 1] and sums to 1 (a probability vector, not logits). */
  probability: Bits,
});

export const AttackResultSchema = z.object({
  kind: z.literal('attack'),
  ...Span,
  correct: Bits,
  predicted: Ints,
  /** ||z(x+d) - z(x)||_2 / ||d||_2 per sample (defense none only; null where d = 0). */
  amplification: z.array(z.number().nullable()),
  /** Predictions of other variants on these adversarials (reference chunks only). */
  others: z.record(z.string(), Ints),
  examples: z.array(ExampleSchema),
  /** DIVA chunks: the reference's predictions on the twin's adversarials (divergence = twin wrong, reference right). */
  reference: Ints.optional(),
  /** Decision-based chunks (HopSkipJump): model queries used per sample. */
  queries: Ints.optional(),
});

export const TransferResultSchema = z.object({
  kind: z.literal('transfer'),
  ...Span,
  /** Source predictions on its own adversarials. */
  sourcePredicted: Ints,
  /** Per target key `${variant}/${defense}`. */
  correct: z.record(z.string(), Bits),
  predicted: z.record(z.string(), Ints),
});

export const SanityResultSchema = z.object({
  kind: z.literal('sanity'),
  ...Span,
  /** The very large epsilon of the probe (1 at linf, sqrt(H*W*C) at l2). */
  largeEpsilon: z.number(),
  /** Samples still correct after PGD at largeEpsilon. */
  largeEpsilonCorrect: z.int().min(0),
  /** Samples whose input gradient of the cross-entropy is exactly zero. */
  zeroGradient: z.int().min(0),
  /** Mean L2 norm of the input gradient of the cross-entropy over the probed samples (absent in older results). */
  gradientNorm: z.number().min(0).optional(),
  /** Models with activation fake quantization (undefended rows): samples still correct after the audit's PGD at its
   *  largest epsilon through the straight-through estimator, and through BPDA (the identity). */
  activationQuant: z.object({ epsilon: z.number(), steCorrect: z.int().min(0), bpdaCorrect: z.int().min(0) }).optional(),
});

export const LayerStatSchema = z.object({
  variant: z.string(),
  /** Weight key, e.g. `conv2d_1/kernel`. */
  name: z.string(),
  shape: Ints,
  /** ||W_q - W_ref||_F / ||W_ref||_F; null for the reference itself. */
  relativeError: z.number().nullable(),
  /** Largest singular value of the kernel reshaped to [fan_in, fan_out] (power iteration). */
  spectralNorm: z.number(),
  /** Bound on the layer's Lipschitz constant: spectralNorm, times sqrt(kh * kw) for a stride-1 conv. */
  lipschitzBound: z.number(),
});

export const LayersResultSchema = z.object({ kind: z.literal('layers'), id: z.string(), layers: z.array(LayerStatSchema) });

export const ChunkResultSchema = z.discriminatedUnion('kind', [
  CleanResultSchema,
  AttackResultSchema,
  TransferResultSchema,
  SanityResultSchema,
  LayersResultSchema,
]);

export type Example = z.infer<typeof ExampleSchema>;
export type CleanResult = z.infer<typeof CleanResultSchema>;
export type AttackResult = z.infer<typeof AttackResultSchema>;
export type TransferResult = z.infer<typeof TransferResultSchema>;
export type SanityResult = z.infer<typeof SanityResultSchema>;
export type LayerStat = z.infer<typeof LayerStatSchema>;
export type LayersResult = z.infer<typeof LayersResultSchema>;
export type ChunkResult = z.infer<typeof ChunkResultSchema>;

/** Classifier key in results: the variant behind a defense (BPDA does not change a forward pass). */
export function clfKey(variant: string, defense: string): string {
  return `${variant}/${defense}`;
}
