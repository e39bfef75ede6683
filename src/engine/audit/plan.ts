// The audit plan: variants, defense settings and the list of chunks (samples x attack x epsilon), each with a
// stable id that a job runner uses as the storage key of the chunk's result.
import { expect } from '../errors';
import { GRADIENT_FREE, MICRO_BATCH, defenseName } from './settings';
import type { AuditAttack, AuditSettings } from './settings';

export interface VariantInfo {
  /** 'float' | 'original' | 'w8' | 'w4' | ... */
  name: string;
  /** Weight bits; null for float weights. */
  bits: number | null;
  from: 'upload' | 'quantize';
}

/** One way of presenting a variant to an attack: undefended, or behind the mapping with plain or BPDA gradients. */
export interface Guard {
  defense: string;
  adaptive: boolean;
}

export interface PlanInput {
  /** `summary.bits` of the uploaded model: null when its kernels are float. */
  modelBits: number | null;
  /** Samples in the data set. */
  dataSize: number;
  /** A surrogate classifier was supplied for the transfer attack. */
  surrogate?: boolean;
}

interface Range {
  id: string;
  start: number;
  end: number;
}
export type CleanChunk = Range & { kind: 'clean' };
export type LayersChunk = { id: string; kind: 'layers' };
export type AttackChunk = Range & {
  kind: 'attack';
  attack: Exclude<AuditAttack, 'transfer'>;
  variant: string;
  defense: string;
  adaptive: boolean;
  epsilon: number;
  /** Adversarial images kept for the report (only the first chunk of the example attack). */
  examples: number;
  /** Variants also scored on these adversarials (the reference's chunks: adversarial flip rate). */
  others: string[];
};
export type TransferChunk = Range & {
  kind: 'transfer';
  source: 'float' | 'surrogate';
  epsilon: number;
  /** Classifiers scored on the adversarials crafted on the source. */
  targets: { variant: string; defense: string }[];
};
export type SanityChunk = Range & { kind: 'sanity'; variant: string; defense: string; adaptive: boolean };
export type Chunk = CleanChunk | LayersChunk | AttackChunk | TransferChunk | SanityChunk;

/** The variant that stands for "the model as given": the QL reference. */
export function referenceVariant(modelBits: number | null): string {
  return modelBits === null ? 'float' : 'original';
}

/**
 * The uploaded model plus its quantized twins. A quantized upload only gets twins of fewer bits than its
 * own (re-quantized from the deployed weights): a twin of as many bits or more would repeat it.
 */
export function planVariants(settings: AuditSettings, modelBits: number | null): VariantInfo[] {
  const ref: VariantInfo = { name: referenceVariant(modelBits), bits: modelBits, from: 'upload' };
  const twins = settings.bits
    .filter((k) => modelBits === null || k < modelBits)
    .map((k): VariantInfo => ({ name: `w${k}`, bits: k, from: 'quantize' }));
  return [ref, ...twins];
}

export function planGuards(settings: AuditSettings): Guard[] {
  const none: Guard = { defense: 'none', adaptive: false };
  if (settings.defense === 'none') return [none];
  const name = defenseName(settings);
  return [none, { defense: name, adaptive: false }, { defense: name, adaptive: true }];
}

/** The transfer source, or null when there is none (quantized upload without a surrogate). */
export function transferSource(input: PlanInput): 'float' | 'surrogate' | null {
  if (input.surrogate) return 'surrogate';
  return input.modelBits === null ? 'float' : null;
}

export function guardTag(g: Guard): string {
  return g.adaptive ? `${g.defense}+bpda` : g.defense;
}

/** Contiguous ranges [start, end) of `size` samples (a multiple of MICRO_BATCH) covering [0, n). */
export function ranges(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

/** Where the report's example images come from: the strongest gradient attack, lowest-bit variant, largest epsilon. */
export function exampleSource(settings: AuditSettings, variants: VariantInfo[]) {
  const attack = (['pgd', 'apgd', 'fgsm', 'square'] as const).find((a) => settings.attacks.includes(a));
  if (!attack || settings.examples === 0) return null;
  return { attack, variant: variants[variants.length - 1]!.name, epsilon: settings.epsilons[settings.epsilons.length - 1]! };
}

export function planAudit(settings: AuditSettings, input: PlanInput): Chunk[] {
  expect(input.dataSize >= 1, 'invalid_data', `expected a data set with at least 1 sample, got ${input.dataSize}`);
  expect(settings.chunkSize % MICRO_BATCH === 0, 'invalid_argument', `expected chunkSize a multiple of ${MICRO_BATCH}, got ${settings.chunkSize}`);
  const n = Math.min(settings.limit, input.dataSize);
  const variants = planVariants(settings, input.modelBits);
  const guards = planGuards(settings);
  const spans = ranges(n, settings.chunkSize);
  const chunks: Chunk[] = spans.map(([start, end]) => ({ id: `clean:${start}-${end}`, kind: 'clean', start, end }));
  chunks.push({ id: 'layers', kind: 'layers' });
  if (settings.sanity) chunks.push(...sanityChunks(variants, guards, Math.min(n, MICRO_BATCH)));
  chunks.push(...attackChunks(settings, variants, guards, spans));
  const source = transferSource(input);
  if (settings.attacks.includes('transfer') && source) chunks.push(...transferChunks(settings, variants, guards, spans, source));
  return chunks;
}

function sanityChunks(variants: VariantInfo[], guards: Guard[], n: number): SanityChunk[] {
  return variants.flatMap((v) =>
    guards.map((g): SanityChunk => ({ id: `sanity:${v.name}:${guardTag(g)}:0-${n}`, kind: 'sanity', variant: v.name, ...g, start: 0, end: n })),
  );
}

function attackChunks(settings: AuditSettings, variants: VariantInfo[], guards: Guard[], spans: [number, number][]): AttackChunk[] {
  const ex = exampleSource(settings, variants);
  const ref = variants[0]!.name;
  const out: AttackChunk[] = [];
  for (const attack of settings.attacks) {
    if (attack === 'transfer') continue;
    // DIVA attacks a twin against the reference; the reference has no divergence from itself.
    for (const v of variants.filter((v) => !(attack === 'diva' && v.name === ref))) {
      // Square and HopSkipJump use no gradient: BPDA changes nothing for them, so they run once per defense.
      for (const g of guards.filter((g) => !(GRADIENT_FREE.includes(attack) && g.adaptive))) {
        for (const epsilon of settings.epsilons) {
          for (const [start, end] of spans) {
            const isEx = ex !== null && ex.attack === attack && ex.variant === v.name && ex.epsilon === epsilon && g.defense === 'none';
            const others = v.name === ref && g.defense === 'none' ? variants.slice(1).map((w) => w.name) : [];
            out.push({
              id: `${attack}:${v.name}:${guardTag(g)}:${epsilon}:${start}-${end}`,
              kind: 'attack', attack, variant: v.name, ...g, epsilon, start, end,
              examples: isEx && start === 0 ? Math.min(settings.examples, end - start) : 0,
              others,
            });
          }
        }
      }
    }
  }
  return out;
}

function transferChunks(
  settings: AuditSettings, variants: VariantInfo[], guards: Guard[], spans: [number, number][], source: 'float' | 'surrogate',
): TransferChunk[] {
  // The source itself gets no transfer row; behind the mapping it is a different classifier, so it does.
  const targets = variants.flatMap((v) =>
    guards
      .filter((g) => !g.adaptive && !(source === 'float' && v.name === 'float' && g.defense === 'none'))
      .map((g) => ({ variant: v.name, defense: g.defense })),
  );
  return settings.epsilons.flatMap((epsilon) =>
    spans.map(([start, end]): TransferChunk => ({ id: `transfer:${epsilon}:${start}-${end}`, kind: 'transfer', source, epsilon, start, end, targets })),
  );
}
