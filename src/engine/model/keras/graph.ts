// modelTopology (Sequential or Functional DAG, Keras 2 or 3 node syntax) -> the graph IR, final softmax removed.
import { EngineError, expect } from '../../errors';
import { analyze, stripSoftmax } from '../graph';
import type { Graph, Node } from '../ir';
import { MAX_INBOUND_DEPTH, MAX_INPUT_CHANNELS, MAX_INPUT_HEIGHT, MAX_INPUT_WIDTH, MAX_NODES, MAX_RANK } from '../limits';
import type { LayerEntry, ModelConfig } from '../schema';
import { parseLayer, type LayerContext } from './layers';

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

/** Names of the layers feeding a Functional layer: Keras 2 `[[name, node, tensor, kwargs]]`, Keras 3 `keras_history`. */
function inboundNames(entry: LayerEntry, pointer: string): string[] {
  const nodes = entry.inbound_nodes ?? [];
  if (nodes.length > 1) {
    throw new EngineError('unsupported_layer', `expected layer '${nameOf(entry)}' to be called once, got ${nodes.length} calls (shared layers are not supported)`, pointer);
  }
  const names: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    expect(depth <= MAX_INBOUND_DEPTH, 'invalid_model', `expected inbound_nodes nested at most ${MAX_INBOUND_DEPTH} deep, got deeper`, `${pointer}.inbound_nodes`);
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else v.forEach((x) => walk(x, depth + 1));
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const cfg = o.config as Record<string, unknown> | undefined;
      if (o.class_name === '__keras_tensor__' && Array.isArray(cfg?.keras_history)) names.push(String(cfg.keras_history[0]));
      // Keras 3 puts the call's tensors in args; kwargs hold flags (training=...), never tensors of this model.
      else if (Array.isArray(o.args)) walk(o.args, depth + 1);
      else Object.values(o).forEach((x) => walk(x, depth + 1));
    }
  };
  walk(nodes[0], 0);
  return names;
}

/** `[[name, 0, 0]]` or Keras 3's bare `[name, 0, 0]`. */
function endpointNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') return [v[0]];
  return v.filter(Array.isArray).map((x) => String(x[0]));
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

interface Wired extends Located {
  inputs: string[];
}

function sequential(cfg: ModelConfig['config'], at: string): { layers: Wired[]; input: string; output: string; shape?: unknown[] } {
  let located = cfg.layers.map((entry, i) => ({ entry, pointer: `${at}.config.layers[${i}]` }));
  let shape: unknown[] | undefined = cfg.build_input_shape ? cfg.build_input_shape.slice(1) : undefined;
  if (located[0]) shape = declaredShape(located[0].entry.config) ?? shape;
  let input = 'input';
  if (located[0]?.entry.class_name === 'InputLayer') {
    input = nameOf(located[0].entry) || input;
    located = located.slice(1);
  }
  const layers = located.map((l, i) => ({ ...l, inputs: [i === 0 ? input : nameOf(located[i - 1]!.entry)] }));
  return { layers, input, output: layers.length ? nameOf(layers[layers.length - 1]!.entry) : input, shape };
}

/** Functional layers in topological order (Kahn), whatever order model.json lists them in. */
function functional(cfg: ModelConfig['config'], at: string): { layers: Wired[]; input: string; output: string; shape?: unknown[] } {
  const ins = endpointNames(cfg.input_layers);
  const outs = endpointNames(cfg.output_layers);
  expect(ins.length === 1 && outs.length === 1, 'unsupported_layer', `expected a model with one input and one output, got inputs [${ins}] and outputs [${outs}]`, at);
  const wired: Wired[] = cfg.layers.map((entry, i) => ({ entry, pointer: `${at}.config.layers[${i}]`, inputs: inboundNames(entry, `${at}.config.layers[${i}]`) }));
  const input = wired.find((w) => nameOf(w.entry) === ins[0]);
  expect(input, 'invalid_model', `expected input layer '${ins[0]}' among the layers, got none of that name`, at);
  const rest = wired.filter((w) => w !== input);
  for (const w of rest) {
    expect(w.entry.class_name !== 'InputLayer', 'unsupported_layer', `expected one InputLayer, got another one '${nameOf(w.entry)}'`, w.pointer);
    expect(w.inputs.length >= 1, 'invalid_model', `expected layer '${nameOf(w.entry)}' to have inbound nodes, got none`, w.pointer);
  }
  const done = new Set([ins[0]!]);
  const order: Wired[] = [];
  let pending = rest;
  while (pending.length) {
    const ready = pending.filter((w) => w.inputs.every((i) => done.has(i)));
    if (!ready.length) {
      const stuck = pending[0]!;
      const missing = stuck.inputs.find((i) => !done.has(i));
      const known = rest.some((w) => nameOf(w.entry) === missing);
      throw new EngineError('invalid_model', known ? `expected an acyclic layer graph, got a cycle through '${nameOf(stuck.entry)}'` : `expected layer '${nameOf(stuck.entry)}' to read a layer of the model, got '${missing}'`, stuck.pointer);
    }
    for (const w of ready) done.add(nameOf(w.entry));
    order.push(...ready);
    pending = pending.filter((w) => !ready.includes(w));
  }
  return { layers: order, input: ins[0]!, output: outs[0]!, shape: declaredShape(input.entry.config) };
}

export function importKeras(topology: ModelConfig, at: string, keras3: boolean, inputShape?: readonly [number, number, number]): Graph {
  const cls = topology.class_name;
  expect(['Sequential', 'Functional', 'Model'].includes(cls), 'unsupported_layer', `expected a Sequential or Functional model, got class ${cls}`, `${at}.class_name`);
  expect(topology.config.layers.length <= MAX_NODES + 1, 'limit_exceeded', `expected at most ${MAX_NODES} layers, got ${topology.config.layers.length}`, at);
  const wiring = cls === 'Sequential' ? sequential(topology.config, at) : functional(topology.config, at);
  const ctx: LayerContext = { keras3 };
  const axes: [Node, number, string][] = [];
  const nodes = wiring.layers.map(({ entry, pointer, inputs }): Node => {
    const name = nameOf(entry);
    expect(name, 'invalid_model', `expected a name for the ${entry.class_name} layer, got none`, pointer);
    expect(entry.class_name !== 'InputLayer', 'unsupported_layer', `expected InputLayer '${name}' only at the start of the model`, pointer);
    const parsed = parseLayer(entry, name, pointer, ctx);
    const node: Node = { name, className: entry.class_name, op: parsed.op, inputs };
    if (parsed.axis !== undefined) axes.push([node, parsed.axis, pointer]);
    return node;
  });
  const raw = rawShape(wiring.shape, at);
  const graph: Graph = {
    name: topology.config.name ?? 'model', input: { name: wiring.input, shape: raw }, imageShape: imageShape(raw, inputShape),
    nodes, output: wiring.output, removedSoftmax: false, preprocess: null,
  };
  const shapes = analyze(graph);
  for (const [node, axis, pointer] of axes) {
    const rank = shapes.tensors.get(node.inputs[0]!)!.length;
    // Softmax and the normalizations work on the last (channel) axis only.
    expect(axis === -1 || axis === rank, 'unsupported_layer', `expected layer '${node.name}' (${node.className}) over the last (channel) axis, got axis ${axis} for an input of rank ${rank} (+ batch)`, `${pointer}.config.axis`);
  }
  return stripSoftmax(graph);
}
