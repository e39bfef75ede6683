// modelTopology (Sequential or single-chain Functional, Keras 2 or 3) to a ModelSpec with logits output.
import { EngineError, expect } from '../errors';
import { MAX_INPUT_CHANNELS, MAX_INPUT_HEIGHT, MAX_INPUT_WIDTH, MAX_LAYERS, MAX_RANK } from './limits';
import { parseLayer } from './layers';
import type { LayerEntry, ModelConfig } from './schema';
import type { LayerSpec, ModelSpec } from './types';

interface Located {
  entry: LayerEntry;
  pointer: string;
}

const nameOf = (e: LayerEntry) => String(e.config.name ?? e.name ?? '');

/** batch_input_shape (Keras 2), batch_shape (Keras 3) or input_shape (no batch axis) of a layer config. */
function declaredShape(cfg: Record<string, unknown>): unknown[] | undefined {
  const b = cfg.batch_input_shape ?? cfg.batch_shape;
  if (Array.isArray(b)) return b.slice(1);
  return Array.isArray(cfg.input_shape) ? cfg.input_shape : undefined;
}

function sequentialChain(cfg: ModelConfig['config'], at: string): { chain: Located[]; shape?: unknown[] } {
  let located = cfg.layers.map((entry, i) => ({ entry, pointer: `${at}.config.layers[${i}]` }));
  let shape: unknown[] | undefined = cfg.build_input_shape ? cfg.build_input_shape.slice(1) : undefined;
  if (located[0]) shape = declaredShape(located[0].entry.config) ?? shape;
  if (located[0]?.entry.class_name === 'InputLayer') located = located.slice(1);
  return { chain: located, shape };
}

/** Names of the layers feeding a Functional layer: Keras 2 `[[name, node, tensor, kwargs]]`, Keras 3 `keras_history`. */
function inboundNames(entry: LayerEntry, pointer: string): string[] {
  const nodes = entry.inbound_nodes ?? [];
  if (nodes.length > 1) {
    throw new EngineError('unsupported_layer', `expected layer '${nameOf(entry)}' to be called once (a single chain), got ${nodes.length} calls`, pointer);
  }
  const names: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else v.forEach(walk);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const cfg = o.config as Record<string, unknown> | undefined;
      if (o.class_name === '__keras_tensor__' && Array.isArray(cfg?.keras_history)) names.push(String(cfg.keras_history[0]));
      else Object.values(o).forEach(walk);
    }
  };
  walk(nodes[0]);
  return names;
}

/** `[[name, 0, 0]]` or Keras 3's bare `[name, 0, 0]`. */
function endpointNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') return [v[0]];
  return v.filter(Array.isArray).map((x) => String(x[0]));
}

function functionalChain(cfg: ModelConfig['config'], at: string): { chain: Located[]; shape?: unknown[] } {
  const byName = new Map<string, Located & { inputs: string[] }>();
  const consumers = new Map<string, string[]>();
  cfg.layers.forEach((entry, i) => {
    const pointer = `${at}.config.layers[${i}]`;
    const inputs = inboundNames(entry, pointer);
    byName.set(nameOf(entry), { entry, pointer, inputs });
    // A layer reading one tensor twice (Add([x, x])) is one consumer taking 2 inputs, not a branch.
    for (const src of new Set(inputs)) consumers.set(src, [...(consumers.get(src) ?? []), nameOf(entry)]);
  });
  const ins = endpointNames(cfg.input_layers);
  const outs = endpointNames(cfg.output_layers);
  expect(ins.length === 1 && outs.length === 1, 'unsupported_layer', `expected a model with one input and one output (a single chain), got inputs [${ins}] and outputs [${outs}]`, at);
  const input = byName.get(ins[0]!);
  expect(input, 'invalid_model', `expected input layer '${ins[0]}' among the layers, got none of that name`, at);
  const chain: Located[] = [];
  let current = ins[0]!;
  while (current !== outs[0]) {
    const next = consumers.get(current) ?? [];
    expect(next.length === 1, next.length ? 'unsupported_layer' : 'invalid_model',
      next.length ? `expected a single chain, got layer '${current}' branching into ${next.join(', ')}` : `expected layer '${current}' to lead to output '${outs[0]}', got no layer using it`);
    const layer = byName.get(next[0]!)!;
    expect(layer.inputs.length === 1, 'unsupported_layer', `expected a single chain, got layer '${next[0]}' taking ${layer.inputs.length} inputs (${layer.inputs.join(', ')})`, layer.pointer);
    expect(chain.length < cfg.layers.length, 'invalid_model', 'expected an acyclic layer graph, got a cycle', at);
    chain.push(layer);
    current = next[0]!;
  }
  return { chain, shape: declaredShape(input.entry.config) };
}

/** The image shape for a model input: [H,W,C] as is, [H,W] gains C = 1, a flat [D] is a square image when D = s² or 3s². */
export function imageShape(raw: number[], override?: readonly [number, number, number]): [number, number, number] {
  const n = raw.reduce((a, b) => a * b, 1);
  let shape: [number, number, number];
  if (override) {
    const m = override[0] * override[1] * override[2];
    expect(m === n, 'invalid_argument', `expected an input shape with ${n} elements for model input [${raw}], got [${override}]`);
    shape = [...override];
  } else if (raw.length === 3) shape = [raw[0]!, raw[1]!, raw[2]!];
  else if (raw.length === 2) shape = [raw[0]!, raw[1]!, 1];
  else {
    const s1 = Math.round(Math.sqrt(n));
    const s3 = Math.round(Math.sqrt(n / 3));
    shape = s1 * s1 === n ? [s1, s1, 1] : 3 * s3 * s3 === n ? [s3, s3, 3] : [1, 1, n];
  }
  const [h, w, c] = shape;
  const ok = h <= MAX_INPUT_HEIGHT && w <= MAX_INPUT_WIDTH && c <= MAX_INPUT_CHANNELS;
  expect(ok || (h === 1 && w === 1 && c <= MAX_INPUT_HEIGHT * MAX_INPUT_WIDTH * MAX_INPUT_CHANNELS), 'limit_exceeded',
    `expected an input of at most ${MAX_INPUT_HEIGHT}x${MAX_INPUT_WIDTH}x${MAX_INPUT_CHANNELS}, got [${shape}]`);
  return shape;
}

function rawShape(shape: unknown[] | undefined, at: string): number[] {
  const ok = shape && shape.length >= 1 && shape.length <= MAX_RANK && shape.every((d) => Number.isInteger(d) && (d as number) > 0);
  expect(ok, 'invalid_model', `expected the model's input shape (batch_input_shape / batch_shape) to be 1 to 3 positive sizes after the batch axis, got ${JSON.stringify(shape ?? null)}`, at);
  expect(shape!.length <= 3, 'unsupported_layer', `expected an input of rank 1 to 3 (without batch), got [${shape}]`, at);
  return shape as number[];
}

/** A final softmax (activation of the last weighted layer, or a trailing Activation/Softmax layer) is dropped: attacks need logits. */
function stripSoftmax(layers: LayerSpec[]): { layers: LayerSpec[]; removed: boolean } {
  let i = layers.length - 1;
  while (i >= 0 && layers[i]!.kind === 'dropout') i--;
  const last = layers[i];
  if (!last || !('activation' in last) || last.activation !== 'softmax') return { layers, removed: false };
  const out = [...layers];
  if (last.kind === 'activation') out.splice(i, 1);
  else out[i] = { ...last, activation: 'linear' };
  return { layers: out, removed: true };
}

export function buildSpec(topology: ModelConfig, at: string, inputShape?: readonly [number, number, number]): ModelSpec {
  const cls = topology.class_name;
  expect(['Sequential', 'Functional', 'Model'].includes(cls), 'unsupported_layer', `expected a Sequential or Functional model, got class ${cls}`, `${at}.class_name`);
  const { chain, shape } = cls === 'Sequential' ? sequentialChain(topology.config, at) : functionalChain(topology.config, at);
  expect(chain.length >= 1, 'invalid_model', 'expected at least one layer after the input, got none', at);
  expect(chain.length <= MAX_LAYERS, 'limit_exceeded', `expected at most ${MAX_LAYERS} layers, got ${chain.length}`, at);
  const raw = rawShape(shape, at);
  const parsed = chain.map(({ entry, pointer }) => {
    expect(entry.class_name !== 'InputLayer', 'unsupported_layer', `expected InputLayer '${nameOf(entry)}' only at the start of the model`, pointer);
    return parseLayer(entry, pointer);
  });
  const names = new Set<string>();
  for (const l of parsed) {
    expect(!names.has(l.name), 'invalid_model', `expected unique layer names, got '${l.name}' twice`, at);
    names.add(l.name);
  }
  const { layers, removed } = stripSoftmax(parsed);
  const name = topology.config.name ?? 'model';
  return { name, inputShape: imageShape(raw, inputShape), rawInputShape: raw, layers, removedSoftmax: removed };
}
