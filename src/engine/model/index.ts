// Public API of the model module: load, run, quantize and save tfjs Layers models.
export type * from './types';
export * from './limits';
export { loadLayersModel } from './load';
export type { LoadOptions } from './load';
export { saveLayersModel, encodeUint8, SHARD_NAME } from './save';
export type { SaveOptions } from './save';
export { forward, activate } from './forward';
export { quantizeTensor, affineGrid, maxLevel, MIN_BITS, MAX_BITS } from './quantize';
export type { QuantizedTensor } from './quantize';
export { distinctValues, findGrid, onQuantizerGrid, impliedBits, MAX_GRID_LEVELS } from './grid';
export { inferShapes } from './shapes';
export type { WeightSlot, LayerShapes } from './shapes';
export { LayersModel } from './model';
export type { WeightMeta } from './model';
export { SUPPORTED_LAYERS } from './layers';
