// ModelProto -> the graph IR and its weights: opset and graph checks, nodes in dependency order (cycles refused),
// the op table applied node by node, nodes the logits do not need dropped, a final softmax removed.
import { EngineError, expect } from '../../errors';
import { stripSoftmax } from '../graph';
import type { Graph } from '../ir';
import { imageShape } from '../keras/graph';
import { MAX_NODES, MAX_PARAMETERS } from '../limits';
import type { ModelProto, NodeProto } from './proto.js';
import { canonical, Ctx, type Val, type Weight } from './context';
import { attrs, int, tensorOf } from './decode';
import { OPS, SUPPORTED_ONNX_OPS } from './ops';

/** ONNX graphs carry shape arithmetic and QDQ pairs besides the layers: more nodes than IR nodes. */
export const MAX_ONNX_NODES = 4 * MAX_NODES;
export const MIN_OPSET = 11;
export const MAX_OPSET = 19;

function opsetOf(m: ModelProto): number {
  const main = m.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  expect(main, 'invalid_model', 'expected an opset_import for the default ONNX domain, got none');
  const v = int(main.version, 'the opset version');
  expect(v >= MIN_OPSET && v <= MAX_OPSET, 'unsupported_layer', `expected ONNX opset ${MIN_OPSET} to ${MAX_OPSET}, got opset ${v}`);
  return v;
}

/** Kahn's order over tensor names; a node whose inputs never become available is on a cycle or reads nothing. */
function ordered(nodes: NodeProto[], known: Set<string>): NodeProto[] {
  const have = new Set(known);
  const out: NodeProto[] = [];
  let pending = nodes;
  while (pending.length) {
    const ready = pending.filter((n) => n.input.every((i) => i === '' || have.has(i)));
    if (!ready.length) {
      const n = pending[0]!;
      const missing = n.input.find((i) => i !== '' && !have.has(i));
      const made = nodes.some((o) => o.output.includes(missing!));
      throw new EngineError('invalid_model', made ? `expected an acyclic graph, got a cycle through node '${n.name || n.output[0]}' (${n.opType})` : `expected node '${n.name || n.output[0]}' (${n.opType}) to read known tensors, got '${missing}'`);
    }
    for (const n of ready) for (const o of n.output) have.add(o);
    out.push(...ready);
    pending = pending.filter((n) => !ready.includes(n));
  }
  return out;
}

export interface Imported { graph: Graph; weights: Map<string, Weight> }

export function importOnnx(m: ModelProto, files: ReadonlyMap<string, Uint8Array>, override?: readonly [number, number, number]): Imported {
  const g = m.graph!;
  const opset = opsetOf(m);
  expect(g.node.length <= MAX_ONNX_NODES, 'limit_exceeded', `expected at most ${MAX_ONNX_NODES} ONNX nodes, got ${g.node.length}`);
  expect(!g.sparseInitializer.length, 'unsupported_layer', 'expected dense initializers, got sparse ones');
  const cx = new Ctx(opset);
  let params = 0;
  for (const t of g.initializer) {
    const k = tensorOf(t, `initializer '${t.name}'`, files);
    params += k.data.length;
    expect(params <= MAX_PARAMETERS, 'limit_exceeded', `expected at most ${MAX_PARAMETERS} weight elements, got more at initializer '${t.name}'`);
    cx.env.set(t.name, { ...k, kind: 'c' });
  }
  const inputs = g.input.filter((i) => !cx.env.has(i.name));
  expect(inputs.length === 1, 'unsupported_layer', `expected one image input, got ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
  expect(g.output.length === 1, 'unsupported_layer', `expected one output (the logits), got ${g.output.length}`);
  const input = inputs[0]!;
  const dims = input.type?.tensorType?.shape?.dim ?? [];
  const shape = dims.map((d, i) => (i === 0 ? 1 : d.dimValue != null ? int(d.dimValue, `dimension ${i} of input '${input.name}'`) : 0));
  expect(shape.length >= 2 && shape.length <= 4 && shape.slice(1).every((d) => d > 0), 'unsupported_layer',
    `expected input '${input.name}' of fixed size [N, C, H, W], [N, H, W] or [N, D], got [${dims.map((d) => d.dimValue ?? d.dimParam ?? '?')}]`);
  // NCHW unless the channels are evidently last (tf2onnx exports keep NHWC).
  const nhwc = shape.length === 4 && shape[3]! <= 4 && shape[1]! > 4;
  const p = shape.length === 4 && !nhwc ? canonical(4) : shape.map((_, i) => i);
  const irShape = p.slice(1).map((a) => shape[a]!);
  const x: Val = cx.input(input.name, irShape, shape, p);
  cx.env.set(input.name, x);
  const known = new Set(cx.env.keys());
  for (const n of ordered(g.node, known)) {
    cx.at = n.name || n.output[0] || n.opType;
    cx.opType = n.opType;
    expect(n.domain === '' || n.domain === 'ai.onnx', 'unsupported_layer', `expected ops of the default ONNX domain, got node '${cx.at}' (${n.opType}) of domain '${n.domain}'`);
    const h = OPS[n.opType];
    expect(h, 'unsupported_layer', `expected one of the supported ONNX ops (${SUPPORTED_ONNX_OPS.join(', ')}), got node '${cx.at}' of op ${n.opType}`);
    cx.env.set(n.output[0]!, h(cx, n, attrs(n)));
  }
  const out = cx.get(g.output[0]!.name);
  expect(out.kind === 'v', 'invalid_model', `expected output '${g.output[0]!.name}' to depend on the image, got ${out.kind === 'c' ? 'a constant' : 'a QuantizeLinear'}`);
  const last = cx.plain(out);
  expect(last.shape.length === 2, 'unsupported_layer', `expected the output to be [N, classes], got [${last.shape}]`);
  // Only the nodes the logits depend on: shape arithmetic leftovers and unused branches cost nothing.
  const need = new Set([last.ir]);
  for (let i = cx.nodes.length - 1; i >= 0; i--) if (need.has(cx.nodes[i]!.name)) cx.nodes[i]!.inputs.forEach((n) => need.add(n));
  const nodes = cx.nodes.filter((n) => need.has(n.name));
  const weights = new Map([...cx.weights].filter(([k]) => need.has(k.slice(0, k.lastIndexOf('/')))));
  const graph: Graph = {
    name: g.name || 'onnx', input: { name: x.ir, shape: irShape }, imageShape: imageShape(irShape, override),
    nodes, output: last.ir, removedSoftmax: false, preprocess: null,
  };
  return { graph: stripSoftmax(graph), weights };
}
