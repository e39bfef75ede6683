// Checks on a graph every importer's output passes through: topological order, one logits output, shapes, limits,
// the final softmax removed, and the per-sample cost (multiply-adds, activation memory) the plans use.
import { EngineError, expect } from '../errors';
import type { Graph, Node } from './ir';
import { nodeShapes, product, type NodeShapes, type WeightSlot } from './infer';
import { MAX_ACTIVATION_ELEMENTS, MAX_NODES } from './limits';

export interface GraphShapes {
  /** Per node, in graph order. */
  nodes: NodeShapes[];
  /** Shape (without batch) of every tensor, the input's included. */
  tensors: Map<string, number[]>;
  slots: WeightSlot[];
  /** Multiply-adds per sample. */
  macs: number;
  /**
   * Bytes per sample that a forward + backward pass keeps: every tensor's float32 values and its gradient.
   * The chunk planner sizes micro-batches from it (an estimate; bench/ measures the real peak).
   */
  activationBytes: number;
}

/** Shapes, slots and cost of a graph; throws naming the node that does not fit. */
export function analyze(g: Graph): GraphShapes {
  expect(g.nodes.length >= 1, 'invalid_model', 'expected at least one layer after the input, got none');
  expect(g.nodes.length <= MAX_NODES, 'limit_exceeded', `expected at most ${MAX_NODES} layers, got ${g.nodes.length}`);
  const tensors = new Map<string, number[]>([[g.input.name, g.input.shape]]);
  const out: NodeShapes[] = [];
  let elements = product(g.input.shape);
  for (const node of g.nodes) {
    expect(!tensors.has(node.name), 'invalid_model', `expected unique layer names, got '${node.name}' twice`);
    const ins = node.inputs.map((i) => {
      const s = tensors.get(i);
      expect(s, 'invalid_model', `expected layer '${node.name}' to read a tensor made before it, got '${i}' (unknown, or a cycle)`);
      return s;
    });
    const r = nodeShapes(node, ins);
    const n = product(r.output);
    if (n > MAX_ACTIVATION_ELEMENTS) {
      throw new EngineError('limit_exceeded', `expected at most ${MAX_ACTIVATION_ELEMENTS} output elements per sample from layer '${node.name}', got ${n} ([${r.output}])`);
    }
    elements += n;
    tensors.set(node.name, r.output);
    out.push(r);
  }
  const last = tensors.get(g.output);
  expect(last, 'invalid_model', `expected the output '${g.output}' to be a layer of the model, got none of that name`);
  expect(last.length === 1 && last[0]! >= 2, 'invalid_model', `expected the model to end in a vector of at least 2 class scores, got output shape [${last}]`);
  const slots = out.flatMap((s) => s.slots);
  return { nodes: out, tensors, slots, macs: out.reduce((a, s) => a + s.macs, 0), activationBytes: 2 * 4 * elements };
}

/** How many nodes read each tensor (a node reading one tensor twice counts twice). */
export function consumers(g: Graph): Map<string, number> {
  const uses = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  return uses;
}

const PASS_THROUGH = new Set(['identity', 'reshape', 'flatten']);

/**
 * Drops a softmax that ends the graph: an act node, or the activation of a dense / conv node, possibly followed
 * by reshapes or identities. With saturated float32 probabilities the gradient of log(p) vanishes, so a twin would
 * look robust to gradient attacks when it is not; logits do not saturate.
 */
export function stripSoftmax(g: Graph): Graph {
  const uses = consumers(g);
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  let node = byName.get(g.output);
  while (node && PASS_THROUGH.has(node.op.type) && node.inputs.length === 1 && uses.get(node.inputs[0]!) === 1) node = byName.get(node.inputs[0]!);
  if (!node || (node !== byName.get(g.output) && uses.get(node.name) !== 1)) return g;
  const op = node.op;
  const softmax = ('act' in op && op.act.fn === 'softmax');
  if (!softmax) return g;
  const replaced: Node = op.type === 'act' ? { ...node, op: { type: 'identity' } } : { ...node, op: { ...op, act: { fn: 'linear' } } as Node['op'] };
  return { ...g, nodes: g.nodes.map((n) => (n === node ? replaced : n)), removedSoftmax: true };
}
