// LayersModel: a loaded (or derived) single-chain model; logits, summary, k-bit twins, other weights.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from '../errors';
import { forward } from './forward';
import { affineGrid, checkBits, quantizeTensor } from './quantize';
import { inferShapes } from './shapes';
import type { LayerShapes } from './shapes';
import { summarize } from './summary';
import type { Model, ModelSpec, ModelSummary, QuantizeOptions, StoredDtype } from './types';

/** How a weight was stored, and an exact `min + scale * q` encoding when one is known (uint8 manifests, twins). */
export interface WeightMeta {
  storedAs: StoredDtype;
  affine?: { min: number; scale: number };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export class LayersModel implements Model {
  readonly inputShape: [number, number, number];
  readonly numClasses: number;
  readonly shapes: LayerShapes[];
  private cached?: ModelSummary;

  /** Takes ownership of `weights` (they are kept out of any enclosing tf.tidy). */
  constructor(
    readonly spec: ModelSpec,
    readonly weights: tf.NamedTensorMap,
    readonly meta: ReadonlyMap<string, WeightMeta> = new Map(),
    shapes?: LayerShapes[],
  ) {
    this.shapes = shapes ?? inferShapes(spec);
    for (const t of Object.values(weights)) tf.keep(t);
    this.inputShape = [...spec.inputShape];
    this.numClasses = this.shapes[this.shapes.length - 1]!.output[0]!;
  }

  logits(x: tf.Tensor4D): tf.Tensor2D {
    const [, h, w, c] = x.shape;
    const [eh, ew, ec] = this.inputShape;
    expect(x.rank === 4 && h === eh && w === ew && c === ec, 'invalid_data', `expected images of shape [N, ${eh}, ${ew}, ${ec}], got [${x.shape}]`);
    return tf.tidy(() => forward(this.spec, this.weights, x));
  }

  get summary(): ModelSummary {
    this.cached ??= summarize(
      this.spec,
      this.shapes,
      (k) => this.weights[k]!.dataSync() as Float32Array,
      (k) => this.meta.get(k)?.storedAs ?? 'float32',
    );
    return this.cached;
  }

  withWeights(weights: tf.NamedTensorMap): Model {
    const slots = this.shapes.flatMap((s) => s.slots);
    expect(Object.keys(weights).length === slots.length, 'invalid_argument', `expected ${slots.length} weights (${slots.map((s) => s.key).join(', ')}), got ${Object.keys(weights).length}`);
    const copy: tf.NamedTensorMap = {};
    for (const s of slots) {
      const t = weights[s.key];
      expect(t && t.dtype === 'float32' && sameShape(t.shape, s.shape), 'invalid_argument', `expected weight '${s.key}' as float32 [${s.shape}], got ${t ? `${t.dtype} [${t.shape}]` : 'none'}`);
      copy[s.key] = tf.clone(t);
    }
    return new LayersModel(this.spec, copy, new Map(), this.shapes);
  }

  quantize(bits: number, opts: QuantizeOptions = {}): Model {
    checkBits(bits);
    const weights: tf.NamedTensorMap = {};
    const meta = new Map<string, WeightMeta>();
    for (const s of this.shapes.flatMap((l) => l.slots)) {
      const t = this.weights[s.key]!;
      if (s.kind !== 'kernel') {
        weights[s.key] = tf.clone(t);
        if (this.meta.has(s.key)) meta.set(s.key, this.meta.get(s.key)!);
        continue;
      }
      const channels = opts.perChannel ? s.shape[s.shape.length - 1]! : 1;
      const q = quantizeTensor(t.dataSync() as Float32Array, bits, channels);
      weights[s.key] = tf.tensor(q.values, s.shape, 'float32');
      // A per-channel grid has one scale per channel: no single uint8 min/scale holds it.
      meta.set(s.key, channels === 1 ? { storedAs: 'float32', affine: affineGrid(bits, q.scales[0]!) } : { storedAs: 'float32' });
    }
    return new LayersModel(this.spec, weights, meta, this.shapes);
  }

  dispose(): void {
    for (const t of Object.values(this.weights)) t.dispose();
  }
}
