// GraphModel: a loaded (or derived) graph classifier; logits, summary, k-bit twins, other weights.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from '../errors';
import { forward } from './execute';
import { prefold, releaseFolded } from './fuse';
import { analyze, type GraphShapes } from './graph';
import { isKernelKey, kernelChannels, type Graph } from './ir';
import { affineGrid, checkBits, quantizeTensor } from './quantize';
import { summarize } from './summary';
import type { Model, ModelSummary, QuantizeOptions, StoredDtype } from './types';
import type { Classifier } from '../types';

/** How a weight was stored, and an exact `min + scale * q` encoding when one is known (uint8 manifests, twins). */
export interface WeightMeta {
  storedAs: StoredDtype;
  affine?: { min: number; scale: number };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export class GraphModel implements Model {
  readonly inputShape: [number, number, number];
  readonly numClasses: number;
  readonly shapes: GraphShapes;
  private cached?: ModelSummary;

  /** Takes ownership of `weights` (they are kept out of any enclosing tf.tidy). */
  constructor(
    readonly graph: Graph,
    readonly weights: tf.NamedTensorMap,
    readonly meta: ReadonlyMap<string, WeightMeta> = new Map(),
    shapes?: GraphShapes,
  ) {
    this.shapes = shapes ?? analyze(graph);
    for (const t of Object.values(weights)) tf.keep(t);
    prefold(graph, weights);
    this.inputShape = [...graph.imageShape];
    this.numClasses = this.shapes.tensors.get(graph.output)![0]!;
  }

  logits(x: tf.Tensor4D): tf.Tensor2D {
    const [, h, w, c] = x.shape;
    const [eh, ew, ec] = this.inputShape;
    expect(x.rank === 4 && h === eh && w === ew && c === ec, 'invalid_data', `expected images of shape [N, ${eh}, ${ew}, ${ec}], got [${x.shape}]`);
    return tf.tidy(() => forward(this.graph, this.weights, x));
  }

  get summary(): ModelSummary {
    this.cached ??= summarize(
      this.graph,
      this.shapes,
      (k) => this.weights[k]!.dataSync() as Float32Array,
      (k) => this.meta.get(k)?.storedAs ?? 'float32',
    );
    return this.cached;
  }

  withWeights(weights: tf.NamedTensorMap): Model {
    const slots = this.shapes.slots;
    expect(Object.keys(weights).length === slots.length, 'invalid_argument', `expected ${slots.length} weights (${slots.map((s) => s.key).join(', ')}), got ${Object.keys(weights).length}`);
    const copy: tf.NamedTensorMap = {};
    for (const s of slots) {
      const t = weights[s.key];
      expect(t && t.dtype === 'float32' && sameShape(t.shape, s.shape), 'invalid_argument', `expected weight '${s.key}' as float32 [${s.shape}], got ${t ? `${t.dtype} [${t.shape}]` : 'none'}`);
      copy[s.key] = tf.clone(t);
    }
    return new GraphModel(this.graph, copy, new Map(), this.shapes);
  }

  /** The same model with its pixels mapped by `preprocess` before the first layer (null: none). */
  withPreprocess(preprocess: Graph['preprocess']): GraphModel {
    const copy: tf.NamedTensorMap = {};
    for (const [k, t] of Object.entries(this.weights)) copy[k] = tf.clone(t);
    return new GraphModel({ ...this.graph, preprocess }, copy, this.meta, this.shapes);
  }

  quantize(bits: number, opts: QuantizeOptions = {}): Model {
    checkBits(bits);
    const weights: tf.NamedTensorMap = {};
    const meta = new Map<string, WeightMeta>();
    for (const s of this.shapes.slots) {
      const t = this.weights[s.key]!;
      if (!isKernelKey(s.key)) {
        weights[s.key] = tf.clone(t);
        if (this.meta.has(s.key)) meta.set(s.key, this.meta.get(s.key)!);
        continue;
      }
      const channels = opts.perChannel ? kernelChannels(s.key, s.shape) : 1;
      const q = quantizeTensor(t.dataSync() as Float32Array, bits, channels);
      weights[s.key] = tf.tensor(q.values, s.shape, 'float32');
      // A per-channel grid has one scale per channel: no single uint8 min/scale holds it.
      meta.set(s.key, channels === 1 ? { storedAs: 'float32', affine: affineGrid(bits, q.scales[0]!) } : { storedAs: 'float32' });
    }
    return new GraphModel(this.graph, weights, meta, this.shapes);
  }

  dispose(): void {
    releaseFolded(this.weights);
    for (const t of Object.values(this.weights)) t.dispose();
  }
}

/** The model with BPDA through its activation fake quantization (same forward pass and weights); null without any. */
export function bpdaActivations(model: Model): Classifier | null {
  if (!model.graph.nodes.some((n) => n.op.type === 'fakeQuant')) return null;
  const nodes = model.graph.nodes.map((n) => (n.op.type === 'fakeQuant' ? { ...n, op: { ...n.op, backward: 'identity' as const } } : n));
  const graph: Graph = { ...model.graph, nodes };
  return { inputShape: model.inputShape, numClasses: model.numClasses, logits: (x) => tf.tidy(() => forward(graph, model.weights, x)) };
}
