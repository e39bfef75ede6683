// ModelSummary: layers with output shapes and parameter counts, per weight tensor its storage and implied bit width.
import { distinctValues, findGrid, impliedBits, onQuantizerGrid } from './grid';
import type { LayerShapes } from './shapes';
import type { ModelSpec, ModelSummary, StoredDtype, WeightTensorInfo } from './types';

/** Largest implied bits over output channels when every channel (last axis) is on its own k-bit quantizer grid, else null. */
function perChannelBits(v: Float32Array, channels: number): number | null {
  if (channels < 2) return null;
  let bits = 0;
  for (let c = 0; c < channels; c++) {
    const d = distinctValues(v.filter((_, i) => i % channels === c));
    if (!onQuantizerGrid(d)) return null;
    bits = Math.max(bits, impliedBits(d.length));
  }
  return bits;
}

export function summarize(
  spec: ModelSpec,
  shapes: LayerShapes[],
  values: (key: string) => Float32Array,
  storedAs: (key: string) => StoredDtype,
): ModelSummary {
  const weights: WeightTensorInfo[] = [];
  let bits: number | null = 0;
  let kernels = 0;
  for (const slot of shapes.flatMap((s) => s.slots)) {
    const v = values(slot.key);
    const d = distinctValues(v);
    // Only kernels count: a float bias of a few values would look like a grid by chance.
    const grid = slot.kind === 'kernel' ? findGrid(d) : null;
    const channel = slot.kind === 'kernel' && !grid ? perChannelBits(v, slot.shape[slot.shape.length - 1]!) : null;
    const implied = grid ? impliedBits(d.length) : channel;
    if (slot.kind === 'kernel') {
      kernels++;
      bits = bits === null || implied === null ? null : Math.max(bits, implied);
    }
    weights.push({ name: slot.key, shape: slot.shape, storedAs: storedAs(slot.key), distinct: d.length, impliedBits: implied, grid, perChannel: channel !== null });
  }
  const layers = spec.layers.map((l, i) => ({
    name: l.name,
    className: l.className,
    outputShape: [null, ...shapes[i]!.output],
    parameters: shapes[i]!.parameters,
  }));
  const output = shapes[shapes.length - 1]?.output ?? spec.rawInputShape;
  return {
    inputShape: [...spec.inputShape],
    numClasses: output[0]!,
    layers,
    parameters: layers.reduce((a, l) => a + l.parameters, 0),
    removedSoftmax: spec.removedSoftmax,
    weights,
    bits: kernels ? bits : null,
  };
}
