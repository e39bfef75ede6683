// The merged audit: every chunk's per-sample results in global sample order, which merge.ts builds and the
// report's tables, companions and flags read (a module of types only, so none of them imports merge.ts).
import type { AttackChunk, Chunk } from './plan';
import type { AttackResult, CleanResult, LayersResult, SanityResult } from './results';
import type { Series } from './series';
import type { AuditSettings } from './settings';

export type { Series } from './series';

/** Everything merged, per sample; the report's tables are functions of this. */
export interface Merged {
  settings: AuditSettings;
  reference: string;
  variants: string[];
  n: number;
  clean: CleanResult;
  series: Series[];
  attacks: { chunk: AttackChunk; result: AttackResult }[];
  sanity: { chunk: Extract<Chunk, { kind: 'sanity' }>; result: SanityResult }[];
  layers: LayersResult;
}
