// zod schemas of a tfjs Layers model.json (Keras 2 and Keras 3 / tfjs 4 spellings), and zod-to-EngineError.
import { z } from 'zod';
import { EngineError } from '../errors';
import type { EngineErrorCode } from '../errors';

/** A layer entry: Keras 2 has class_name/config (+ name, inbound_nodes in Functional); Keras 3 adds module, registered_name. */
export const LayerEntry = z.object({
  class_name: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
  name: z.string().optional(),
  inbound_nodes: z.array(z.unknown()).optional(),
  module: z.string().nullable().optional(),
  registered_name: z.string().nullable().optional(),
});
export type LayerEntry = z.infer<typeof LayerEntry>;

const ModelConfigObject = z.object({
  name: z.string().optional(),
  layers: z.array(LayerEntry),
  input_layers: z.unknown().optional(),
  output_layers: z.unknown().optional(),
  /** Keras 3 Sequential without an InputLayer entry. */
  build_input_shape: z.array(z.number().nullable()).nullable().optional(),
});

/** `{class_name: 'Sequential' | 'Functional' | 'Model', config}`; old Keras 2 Sequential configs are a bare layer list. */
export const ModelConfig = z.object({
  class_name: z.string(),
  config: z.preprocess((v) => (Array.isArray(v) ? { layers: v } : v), ModelConfigObject),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

/** Quantization dtype is checked later, so that an unknown one is 'unsupported_dtype', not a shape error. */
const Quantization = z.object({
  dtype: z.string(),
  min: z.number().optional(),
  scale: z.number().optional(),
  original_dtype: z.string().optional(),
});

export const WeightEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.number()),
  dtype: z.string(),
  group: z.string().optional(),
  quantization: Quantization.optional(),
});
export type WeightEntry = z.infer<typeof WeightEntry>;

export const WeightGroup = z.object({ paths: z.array(z.string().min(1)).min(1), weights: z.array(WeightEntry) });
export type WeightGroup = z.infer<typeof WeightGroup>;

export const ModelJson = z.object({
  format: z.string().optional(),
  /** Parsed as ModelConfig after unwrapping: tensorflowjs_converter wraps it in `model_config`, model.save does not. */
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(WeightGroup),
});

/** `a.b[2].c` from a zod path. */
export function pointerOf(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

/** Parses with `schema` or throws an EngineError naming the first offending field. */
export function parseOr<T>(schema: z.ZodType<T>, value: unknown, code: EngineErrorCode, what: string, prefix = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = pointerOf(issue.path, prefix);
  throw new EngineError(code, `${what}${at ? ` at ${at}` : ''}: ${issue.message}`, at || undefined);
}
