// Layer ops used by every model forward pass. Forward values are the stock kernels'; gradients
// w.r.t. inputs and weights run only on fast wasm kernels (see kernel.ts, PLATFORM.md).
export { conv2d, type FusedActivation, type Padding } from './conv';
export { dense, matMul } from './dense';
export { maxPool, avgPool } from './pool';
export { sign } from './sign';
export { depthwiseConv2d } from './depthwise';
