// What a job really costs, from the model's per-sample figures: multiply-adds (samples x passes) and the
// activation memory of one micro-batch. The routes refuse a job over either limit with a 422 naming it.
import type { ModelSummary } from '../engine/model/types';

/** A gradient step costs about three forward passes (forward, backward to the input, backward through weights). */
export const GRADIENT_PASS_COST = 3;

export interface CostInput {
  /** Multiply-adds of one forward pass of one sample. */
  macsPerSample: number;
  /** Activation memory of one sample for a forward and a backward pass, in bytes. */
  activationBytesPerSample: number;
  /** Samples the job evaluates (or trains on, counting every epoch). */
  samples: number;
  /** Forward-pass equivalents per sample: attack iterations x GRADIENT_PASS_COST, plus clean passes. */
  attackWork: number;
  /** Samples in memory at once (a micro-batch). */
  batch: number;
}

export interface JobCost {
  /** Multiply-adds of the whole job. */
  macs: number;
  /** Peak activation memory of one micro-batch, in bytes. */
  activationBytes: number;
}

export function jobCost(i: CostInput): JobCost {
  return { macs: i.macsPerSample * i.samples * i.attackWork, activationBytes: i.activationBytesPerSample * i.batch };
}

const product = (shape: readonly (number | null)[]) => shape.reduce<number>((p, d) => p * (d ?? 1), 1);

/**
 * Per-sample figures of a model: the summary's own `macs` and `activationBytes` (the graph IR computes them). A
 * summary stored before they existed is estimated from its layer list: a Conv2D's weights are used once per
 * output position (parameters x output height x width), any other layer's once (parameters, a lower bound), plus
 * one operation per output element; activations are float32 outputs kept for the backward pass and their gradients.
 */
export function modelCost(summary: ModelSummary & { macs?: number; activationBytes?: number }): { macsPerSample: number; activationBytesPerSample: number } {
  if (typeof summary.macs === 'number' && typeof summary.activationBytes === 'number') {
    return { macsPerSample: summary.macs, activationBytesPerSample: summary.activationBytes };
  }
  let macs = 0;
  let elements = product(summary.inputShape);
  for (const l of summary.layers) {
    const out = product(l.outputShape);
    const positions = /conv/i.test(l.className) && l.outputShape.length >= 3 ? product(l.outputShape.slice(1, -1)) : 1;
    macs += l.parameters * positions + out;
    elements += out;
  }
  return { macsPerSample: Math.max(macs, summary.parameters), activationBytesPerSample: elements * 4 * 2 };
}
