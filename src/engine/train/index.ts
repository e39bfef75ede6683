// Public API of the training engine: resumable retraining (METHOD.md), its pieces, and plain float training.
export { RETRAIN_METHODS, RetrainConfigSchema, resolveRetrainConfig, configFingerprint } from './config';
export type { RetrainMethod, RetrainConfig, RetrainConfigInput } from './config';
export { initRetrain, retrainStep, isDone, finish, shadowModel } from './retrain';
export { serializeState, deserializeState } from './state';
export type { RetrainState, StepMetrics } from './state';
export { Optimizer } from './optim';
export type { OptimizerConfig, OptimizerState } from './optim';
export { quantizeSte, quantizeWithMask, quantizedWeights, isTrainable } from './ste';
export { boundarySamples } from './boundary';
export type { BoundaryOptions, BoundarySamples } from './boundary';
export { meanCrossEntropy, distillation } from './losses';
export { fit, permutation } from './fit';
export type { FitOptions } from './fit';
