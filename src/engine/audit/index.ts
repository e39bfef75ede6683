// The audit: settings, plan, chunk runner, merge into the report, JUnit. The real engine parts are wired
// here, in one place (`auditParts`); tests hand `createAuditContext` fakes instead.
import { runAttack } from '../attacks';
import { batch } from '../data/dataset';
import type { Dataset } from '../data/types';
import { defend } from '../defense';
import type { Model } from '../model/types';
import type { Classifier } from '../types';
import type { AuditParts } from './context';

export * from './settings';
export * from './plan';
export * from './results';
export * from './report';
export { createAuditContext, eachMicroBatch } from './context';
export type { AuditContext, AuditParts, BatchFn, DefendFn, RunAttackFn } from './context';
export { runChunk } from './run';
export { mergeReport, mergeResults } from './merge';
export { rowKey, sampleLines } from './samples';
export type { SampleLine } from './samples';
export type { DataInfo } from './merge';
export { FLAG_LIMITS } from './flags';
export { checkThresholds, parseThresholds, renderJunit } from './junit';
export type { Threshold, ThresholdFailure } from './junit';

/** The audit's parts with the real engine: the data loader's batches, the attack protocol, the defense. */
export function auditParts(model: Model, data: Dataset, surrogate?: Classifier): AuditParts {
  return { model, data, surrogate, batch, runAttack, defend };
}
export { planMemory, withMicroBatch, chunkBytes, DEFAULT_MEMORY_BUDGET } from './memory';
export type { MemoryPlan } from './memory';
export { labelByModel } from './labels';
