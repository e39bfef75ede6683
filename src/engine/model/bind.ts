// Matches manifest weights to the graph's weight slots by layer (node) name.
//
// Accepted name forms, for a layer named `dense_1`:
//   `dense_1/kernel`                      Keras 2 via tensorflowjs_converter, tfjs model.save
//   `sequential/dense_1/kernel`, `a/b/dense_1/kernel`   Keras 3 variable paths, nested name scopes
//   any of these with a TF `:0` suffix    (`dense_1/kernel:0`)
//   a name whose layer part matches no layer, e.g. Keras 3's bare `kernel`: given, in manifest order,
//   to the first unfilled slot of that kind and shape, in layer order.
// Weights of group 'optimizer' and weights that name no layer and no slot kind are ignored.
import { EngineError, expect } from '../errors';
import type { DecodedWeight } from './manifest';
import type { WeightSlot } from './infer';
import { WEIGHT_ROLES } from './ir';

const KINDS = new Set<string>(WEIGHT_ROLES);
/** Weights a layer has that inference does not read (Keras Normalization's sample count). */
const UNUSED = new Set(['count']);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function split(name: string): { layer?: string; kind: string; segments: string[] } {
  const segments = name.replace(/:\d+$/, '').split('/');
  return { kind: segments[segments.length - 1]!, layer: segments[segments.length - 2], segments: segments.slice(0, -1) };
}

function place(bound: Map<string, DecodedWeight>, slot: WeightSlot, w: DecodedWeight): void {
  const prior = bound.get(slot.key);
  expect(!prior, 'invalid_model', `expected one weight for '${slot.key}', got two ('${prior?.name}' and '${w.name}')`, w.pointer);
  expect(sameShape(slot.shape, w.shape), 'invalid_model', `expected weight '${w.name}' of layer '${slot.node}' to have shape [${slot.shape}], got [${w.shape}]`, `${w.pointer}.shape`);
  bound.set(slot.key, w);
}

/** Weights keyed by slot key (`${layer}/${kind}`); throws naming any slot left without a weight. */
export function bindWeights(slots: WeightSlot[], weights: DecodedWeight[]): Map<string, DecodedWeight> {
  const layers = new Set(slots.map((s) => s.node));
  const byKey = new Map(slots.map((s) => [s.key, s]));
  const bound = new Map<string, DecodedWeight>();
  const unplaced: DecodedWeight[] = [];
  for (const w of weights) {
    if (w.group === 'optimizer') continue;
    const { kind, segments } = split(w.name);
    // The innermost path segment that names a layer wins (model-name prefixes come first).
    const layer = [...segments].reverse().find((s) => layers.has(s));
    if (layer === undefined) {
      if (KINDS.has(kind)) unplaced.push(w);
      continue;
    }
    const slot = byKey.get(`${layer}/${kind}`);
    if (!slot && UNUSED.has(kind)) continue;
    if (!slot) {
      const expected = slots.filter((s) => s.node === layer).map((s) => s.role);
      throw new EngineError('invalid_model', `expected weight '${w.name}' of layer '${layer}' to be one of ${expected.join(', ') || '(no weights)'}, got '${kind}'`, w.pointer);
    }
    place(bound, slot, w);
  }
  for (const w of unplaced) {
    const slot = slots.find((s) => !bound.has(s.key) && s.role === split(w.name).kind && sameShape(s.shape, w.shape));
    if (slot) place(bound, slot, w);
  }
  const missing = slots.find((s) => !bound.has(s.key));
  expect(!missing, 'invalid_model', `expected a weight '${missing?.key}' of shape [${missing?.shape}] for layer '${missing?.node}', got none in the manifest`, 'weightsManifest');
  return bound;
}
