// ModelSummary: layers with output shapes and parameter counts, the per-sample cost, and per weight tensor its
// storage and implied bit width. Linear in the weights' size (one pass per tensor, one sort of its values).
import { distinctValues, findGrid, impliedBits, onQuantizerGrid } from './grid';
import type { GraphShapes } from './graph';
import { product } from './infer';
import { isKernelKey, kernelChannels, type Graph } from './ir';
import type { ModelSummary, StoredDtype, WeightTensorInfo } from './types';

/** Largest implied bits over output channels when every channel is on its own k-bit quantizer grid, else null. */
function perChannelBits(v: Float32Array, channels: number): number | null {
  if (channels < 2) return null;
  const per = v.length / channels;
  const parts = Array.from({ length: channels }, () => new Float32Array(per));
  for (let i = 0; i < v.length; i++) parts[i % channels]![Math.floor(i / channels)] = v[i]!;
  let bits = 0;
  for (const p of parts) {
    const d = distinctValues(p);
    if (d.length > 256 || !onQuantizerGrid(d)) return null;
    bits = Math.max(bits, impliedBits(d.length));
  }
  return bits;
}

export function summarize(
  graph: Graph,
  shapes: GraphShapes,
  values: (key: string) => Float32Array,
  storedAs: (key: string) => StoredDtype,
): ModelSummary {
  const weights: WeightTensorInfo[] = [];
  let bits: number | null = 0;
  let kernels = 0;
  for (const slot of shapes.slots) {
    const v = values(slot.key);
    const d = distinctValues(v);
    const kernel = isKernelKey(slot.key);
    // Only kernels count: a float bias of a few values would look like a grid by chance.
    const grid = kernel ? findGrid(d) : null;
    const channel = kernel && !grid ? perChannelBits(v, kernelChannels(slot.key, slot.shape)) : null;
    // An 8-bit integer kernel (ONNX QDQ) on an asymmetric per-channel grid is still at most 8 bits.
    const stored = storedAs(slot.key);
    const implied = grid ? impliedBits(d.length) : channel ?? (kernel && (stored === 'int8' || stored === 'uint8') ? 8 : null);
    if (kernel) {
      kernels++;
      bits = bits === null || implied === null ? null : Math.max(bits, implied);
    }
    weights.push({ name: slot.key, shape: slot.shape, storedAs: stored, distinct: d.length, impliedBits: implied, grid, perChannel: channel !== null });
  }
  const layers = graph.nodes.map((n, i) => ({
    name: n.name,
    className: n.className,
    inputs: [...n.inputs],
    outputShape: [null, ...shapes.nodes[i]!.output],
    parameters: shapes.nodes[i]!.slots.reduce((a, s) => a + product(s.shape), 0),
  }));
  return {
    inputShape: [...graph.imageShape],
    numClasses: shapes.tensors.get(graph.output)![0]!,
    layers,
    parameters: layers.reduce((a, l) => a + l.parameters, 0),
    macs: shapes.macs,
    activationBytes: shapes.activationBytes,
    removedSoftmax: graph.removedSoftmax,
    preprocess: graph.preprocess,
    weights,
    bits: kernels ? bits : null,
  };
}
