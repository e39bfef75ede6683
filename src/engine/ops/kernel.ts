// Layer ops as named kernels whose forward is the stock kernel and whose gradients we supply.
//
// Why not tf.customGrad: its gradFunc must return every input's gradient eagerly, so FGSM/PGD
// (which only need dL/dx) would also pay for the conv filter gradient at every step. A registered
// gradient returns one thunk per input and tfjs calls only the thunks of inputs on the path to
// the differentiated tensors (tape.ts, getFilteredNodesXToY), so unneeded gradients cost nothing.
import * as tf from '@tensorflow/tfjs-core';
import type { GradFunc, NamedAttrMap, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';

/** One thunk per input: tfjs calls only those on the differentiated path. */
export type GradientThunks = ReturnType<GradFunc>;

export interface OpSpec {
  /** Name of our kernel, e.g. `QauditConv2D`. */
  name: string;
  /** Stock kernel that computes the forward pass (so forward values stay identical). */
  stock: string;
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  /** Saved tensors come in the order inputsToSave, then outputsToSave. */
  grad: (dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => GradientThunks;
}

const registered = new Set<string>();
const gradients = new Set<string>();

/** Runs `spec` on the current backend, registering it there on first use. */
export function runOp<T extends Tensor>(spec: OpSpec, inputs: NamedTensorMap, attrs: NamedAttrMap): T {
  const backendName = tf.getBackend();
  const key = `${backendName}/${spec.name}`;
  if (!registered.has(key)) register(spec, backendName);
  return tf.engine().runKernel(spec.name, inputs, attrs) as T;
}

function register(spec: OpSpec, backendName: string): void {
  const stock = tf.getKernel(spec.stock, backendName);
  if (stock == null) throw new Error(`expected kernel ${spec.stock} on backend ${backendName}, got none`);
  // Delegates at the backend level: no engine call, no tape entry, the stock kernel's exact output.
  tf.registerKernel({ kernelName: spec.name, backendName, kernelFunc: stock.kernelFunc });
  if (!gradients.has(spec.name)) {
    tf.registerGradient({
      kernelName: spec.name,
      inputsToSave: spec.inputsToSave,
      outputsToSave: spec.outputsToSave,
      gradFunc: (dy, saved, attrs) => spec.grad(dy as Tensor, saved, attrs),
    });
    gradients.add(spec.name);
  }
  registered.add(`${backendName}/${spec.name}`);
}
