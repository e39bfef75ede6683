// Where the engine's time goes per kernel, and the GFLOP/s each kernel class reaches: one forward and one input
// gradient (what a PGD step costs) timed per top-level tfjs kernel (the wasm kernels are synchronous, so the wall time
// around runKernel is the kernel's), against nominal FLOPs from the graph's multiply-adds.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../src/engine/attacks/common';
import { batch } from '../src/engine/data/dataset';
import { analyze } from '../src/engine/model';
import type { Graph } from '../src/engine/model';
import { MODELS, loadBenchModel, type ModelId } from './models';

/** Kernel classes that carry the multiply-adds; everything else is 'other' (element-wise, pooling, pads, transposes). */
export type KernelClass = 'conv' | 'depthwise' | 'dense' | 'other';
export const KERNEL_CLASSES: readonly KernelClass[] = ['conv', 'depthwise', 'dense', 'other'];

/** tfjs kernel names, the engine's own (src/engine/ops, Qaudit*: the stock wasm kernel with a faster gradient) included. */
const CLASS_OF: Record<string, KernelClass> = {
  Conv2D: 'conv', FusedConv2D: 'conv', QauditConv2D: 'conv', QauditFusedConv2D: 'conv', QauditConvInputGradSimd: 'conv',
  DepthwiseConv2dNative: 'depthwise', FusedDepthwiseConv2D: 'depthwise', QauditDepthwiseConv2D: 'depthwise', QauditFusedDepthwiseConv2D: 'depthwise',
  QauditDepthwiseInputGradSimd: 'depthwise',
  BatchMatMul: 'dense', _FusedMatMul: 'dense', QauditMatMul: 'dense',
};

export interface KernelTimes {
  /** Multiply-adds per image by class (conv: conv2d incl. 1x1; separable counts as depthwise + conv). */
  macs: Record<KernelClass, number>;
  /** Milliseconds per image by class: a forward pass, and a forward + input gradient (one PGD step's work). */
  forwardMs: Record<KernelClass, number>;
  gradientMs: Record<KernelClass, number>;
  /** The tfjs kernel names seen, with their class (for the doc's mapping). */
  kernels: Record<string, KernelClass>;
  batch: number;
}

const zero = (): Record<KernelClass, number> => ({ conv: 0, depthwise: 0, dense: 0, other: 0 });

/** Multiply-adds per image by kernel class, from the graph's shape analysis. */
export function macsByClass(g: Graph): Record<KernelClass, number> {
  const out = zero();
  const shapes = analyze(g);
  g.nodes.forEach((n, i) => {
    const m = shapes.nodes[i]!.macs;
    if (n.op.type === 'conv2d') out.conv += m;
    else if (n.op.type === 'depthwise') out.depthwise += m;
    else if (n.op.type === 'dense') out.dense += m;
    else if (n.op.type === 'separable') {
      // infer.ts: pixels * (C_in * multiplier) * (kh * kw) for the depthwise part, then * filters for the pointwise.
      const [h, w] = shapes.nodes[i]!.output;
      const pointwise = h! * w! * shapes.tensors.get(n.inputs[0]!)!.at(-1)! * n.op.multiplier * n.op.filters;
      out.conv += pointwise;
      out.depthwise += m - pointwise;
    } else out.other += m;
  });
  return out;
}

/**
 * Runs `f` with every top-level tfjs kernel call timed (wasm kernels are synchronous): `onKernel(name, inputs, ms)`
 * for each; kernels called from inside another kernel count in their caller's time.
 */
export function withKernelTimes<T>(f: () => T, onKernel: (name: string, inputs: unknown, ms: number) => void): T {
  const eng = tf.engine() as unknown as { runKernel: (n: string, i: unknown, a: unknown) => unknown };
  const orig = eng.runKernel.bind(eng);
  let depth = 0;
  eng.runKernel = (name, inputs, attrs) => {
    const top = depth++ === 0;
    const t0 = performance.now();
    try {
      return orig(name, inputs, attrs);
    } finally {
      depth--;
      if (top) onKernel(name, inputs, performance.now() - t0);
    }
  };
  try {
    return f();
  } finally {
    eng.runKernel = orig;
  }
}

/** Times every top-level kernel that `f` runs, summed per class, over `reps` calls after one warm-up. */
function timeByClass(f: () => void, reps: number, seen: Record<string, KernelClass>): Record<KernelClass, number> {
  f();
  const out = zero();
  withKernelTimes(() => {
    for (let i = 0; i < reps; i++) f();
  }, (name, _inputs, ms) => {
    const c = CLASS_OF[name] ?? 'other';
    seen[name] = c;
    out[c] += ms;
  });
  for (const c of KERNEL_CLASSES) out[c] /= reps;
  return out;
}

/** Loads the model and `b` inputs, then returns the measurement (3 timed calls of each pass). */
export async function prepareKernelTimes(id: ModelId, b: number): Promise<() => KernelTimes> {
  const model = loadBenchModel(id);
  const { x, y } = batch(await MODELS[id].samples(model, b), 0, b);
  return () => {
    const kernels: Record<string, KernelClass> = {};
    const perImage = (r: Record<KernelClass, number>) => Object.fromEntries(KERNEL_CLASSES.map((c) => [c, r[c] / b])) as Record<KernelClass, number>;
    const forwardMs = timeByClass(() => tf.tidy(() => void model.logits(x).dataSync()), 3, kernels);
    const grad = tf.grad((xx: tf.Tensor) => tf.sum(crossEntropy(model.logits(xx as tf.Tensor4D), y)));
    const gradientMs = timeByClass(() => tf.tidy(() => void grad(x).dataSync()), 3, kernels);
    const macs = macsByClass(model.graph);
    tf.dispose([x, y]);
    model.dispose();
    return { macs, forwardMs: perImage(forwardMs), gradientMs: perImage(gradientMs), kernels, batch: b };
  };
}
