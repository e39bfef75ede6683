// maxPool / avgPool: the stock forward kernels, with the gradients of pool-grad.ts (fast on wasm, first-max ties).
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { runOp, type OpSpec } from './kernel';
import type { Padding } from './conv';
import { avgPoolGrad, maxPoolGrad } from './pool-grad';
import { poolAttrs } from './pool-info';

const maxPoolSpec: OpSpec = {
  name: 'QauditMaxPool',
  stock: 'MaxPool',
  inputsToSave: ['x'],
  outputsToSave: [true],
  grad: (dy, [x, y], attrs) => ({ x: () => maxPoolGrad(dy as Tensor4D, x as Tensor4D, y as Tensor4D, attrs) }),
};

const avgPoolSpec: OpSpec = {
  name: 'QauditAvgPool',
  stock: 'AvgPool',
  inputsToSave: ['x'],
  grad: (dy, [x], attrs) => ({ x: () => avgPoolGrad(dy as Tensor4D, x.shape, attrs) }),
};

export function maxPool(x: Tensor4D, pool: [number, number], strides: [number, number], pad: Padding): Tensor4D {
  return runOp<Tensor4D>(maxPoolSpec, { x }, poolAttrs(pool, strides, pad));
}

export function avgPool(x: Tensor4D, pool: [number, number], strides: [number, number], pad: Padding): Tensor4D {
  return runOp<Tensor4D>(avgPoolSpec, { x }, poolAttrs(pool, strides, pad));
}
