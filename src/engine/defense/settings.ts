// The defense setting as requests state it (audits and retraining alike): one zod schema, the mapping's documented defaults.
import { z } from 'zod';
import { MAPPING_DEFAULTS, type Mapping } from './mappings';

const Staircase = z.object({
  mapping: z.literal('staircase'),
  /** Steps of the smoothed quantizer over [0, 1]. */
  levels: z.int().min(2).max(256).default(MAPPING_DEFAULTS.staircase.levels),
  /** Sigmoid slope inside a step; large = close to a hard staircase. */
  sharpness: z.number().positive().max(1000).default(MAPPING_DEFAULTS.staircase.sharpness),
}).strict();
const Sine = z.object({
  mapping: z.literal('sine'),
  freq: z.number().positive().max(100).default(MAPPING_DEFAULTS.sine.freq),
  amp: z.number().positive().max(1).default(MAPPING_DEFAULTS.sine.amp),
}).strict();
const Random = z.object({
  mapping: z.literal('random'),
  /** Levels of the random sub-grid drawn per query. */
  levels: z.int().min(2).max(256).default(MAPPING_DEFAULTS.random.levels),
}).strict();
export const DefenseSchema = z.discriminatedUnion('mapping', [Staircase, Sine, Random]);
export type DefenseMapping = z.output<typeof DefenseSchema>;

/** 'none' or a mapping with its parameters: the `defense` field of audit and retraining settings. */
export const DefenseSettingSchema = z.union([z.literal('none'), DefenseSchema]);
export type DefenseSetting = z.output<typeof DefenseSettingSchema>;

/** The defense engine's form of the mapping (`kind` instead of `mapping`). */
export function toMapping(d: DefenseMapping): Mapping {
  switch (d.mapping) {
    case 'staircase': return { kind: 'staircase', levels: d.levels, sharpness: d.sharpness };
    case 'sine': return { kind: 'sine', freq: d.freq, amp: d.amp };
    case 'random': return { kind: 'random', levels: d.levels };
  }
}
